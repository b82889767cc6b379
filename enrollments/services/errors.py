"""What services refuse, each with a message staff and API clients can act on."""


class EnrollmentError(Exception):
    """A request the enrollment rules refuse (not a partner failure)."""


class EnrollmentConflict(EnrollmentError):
    """The student already has an open enrollment in this course."""


class NoVoucherAvailable(EnrollmentError):
    """The course needs a voucher, credit or seat and none is left."""


class EnrollmentNotFound(EnrollmentError):
    """No enrollment matches a partner event (yet)."""


class EnrollmentStateError(EnrollmentError):
    """The enrollment is in a state that does not allow this (e.g. cancelling a completed one)."""


class EnrollmentNotConfirmed(EnrollmentNotFound):
    """An event names an enrollment the partner has not confirmed yet (provisioning is
    still under way): like an unknown enrollment, the event waits and is tried again."""
