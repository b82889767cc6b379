"""JRI's roster file: the generic layout. Nothing about JRI is public (its realistic
mode is manual), so a roster for it (when staff switch it to `roster` mode) is our
generic file, labelled as such; replace it here when JRI sends its template."""

from partners.rosters import GENERIC

LAYOUT = GENERIC
