"""Moving a simulated enrollment on, as the partner's learner would."""

from partners.simulator import state
from partners.simulator.models import SimEnrollment


def advance(slug: str, external_id: str, **how) -> SimEnrollment:
    """Advance the simulator's enrollment `external_id` of partner `slug` (state.advance:
    to=percent, score=, passed=...) and return it."""
    row = SimEnrollment.objects.get(partner=slug, external_id=external_id)
    state.advance(row, **how)
    return row
