"""Records of what happened to an enrollment: partner events applied, e-mails sent, and
API requests already answered (Idempotency-Key)."""

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction

from enrollments.models.enrollment import Enrollment


class EnrollmentEventManager(models.Manager):
    def insert_unless_duplicate(self, obj: models.Model, *, unique: dict) -> bool:
        """INSERT `obj`, unless a row equal to it on a unique constraint exists (`unique`:
        that constraint's fields and their values). True when inserted (obj.pk is set),
        False when the existing row made it a duplicate.

        It is one statement, INSERT ... ON CONFLICT DO NOTHING RETURNING (PostgreSQL, and
        SQLite from 3.35; Django needs 3.37): no savepoint, and on PostgreSQL the constraint is
        checked against committed rows and waits for a concurrent insert of the same key, so
        two racing copies cannot both get in. The ORM offers ON CONFLICT only in bulk_create,
        which does not say whether the row went in. A database without it (none that Partner
        Hub runs on) gets a savepoint that catches the error."""
        meta = obj._meta
        features = connection.features
        if features.can_return_columns_from_insert and features.supports_ignore_conflicts:
            qn = connection.ops.quote_name
            fields = [f for f in meta.concrete_fields if not f.primary_key]
            values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
            sql = (
                f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"
                f" VALUES ({', '.join(['%s'] * len(fields))})"
                f" ON CONFLICT DO NOTHING RETURNING {qn(meta.pk.column)}"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, values)
                row = cursor.fetchone()
            if row is None:
                return False
            obj.pk = row[0]
            obj._state.adding = False
            obj._state.db = connection.alias
            return True
        try:
            with transaction.atomic():
                obj.save(force_insert=True)
        except IntegrityError:
            if self.filter(**unique).exists():
                return False
            raise
        return True


class EnrollmentEvent(models.Model):
    """A partner event applied to an enrollment, with what it changed.

    `event_key` (source:id) makes a redelivered event a no-op; events without an id (a
    poll) are recorded only when they change something.
    """

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="events")
    event_key = models.CharField(max_length=300, blank=True)
    event_type = models.CharField(max_length=32)
    source = models.CharField(max_length=16)
    occurred_at = models.DateTimeField()
    applied_at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=300, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    # The staff member who recorded a manual outcome or ran the import it came from.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = EnrollmentEventManager()

    class Meta:
        ordering = ["-applied_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "event_key"],
                condition=~models.Q(event_key=""),
                name="enrollmentevent_applied_once",
            )
        ]
        indexes = [models.Index(fields=["enrollment", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} ({self.source}) on #{self.enrollment_id}"


class EmailKind(models.TextChoices):
    ACCOUNT_CREATED = "account_created", "Partner login"
    ENROLLMENT_ACTIVE = "enrollment_active", "How to start"
    COURSE_COMPLETED = "course_completed", "Course completed"
    CERTIFICATE_ISSUED = "certificate_issued", "Certificate issued"
    EXPIRY_REMINDER = "expiry_reminder", "Certificate expiry reminder"


class StudentEmail(models.Model):
    """An e-mail sent to a student about an enrollment; unique per (enrollment, kind, key)
    so each is sent once (key: the reminder's days before expiry)."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=24, choices=EmailKind.choices)
    key = models.CharField(max_length=32, blank=True)
    recipient = models.EmailField()
    subject = models.CharField(max_length=200)
    # The text as sent, for staff in the admin; a temporary password in it is replaced
    # before it is kept (a password is never stored).
    body = models.TextField(blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "kind", "key"], name="studentemail_sent_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}"


class ApiIdempotencyKey(models.Model):
    """The first answer to a POST with an Idempotency-Key, replayed to its retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="apiidempotencykey_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.status}"
