"""HSI's roster file: the generic layout. HSI works by credits and open-enrolment links
(its realistic mode is manual) and no roster template of HSI's is known, so a roster for
it (when staff switch it to `roster` mode) is our generic file, labelled as such; replace
it here when HSI sends its template."""

from partners.rosters import GENERIC

LAYOUT = GENERIC
