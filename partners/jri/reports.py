"""JRI sends no report of its own: results come in our template
(partners.reports.TEMPLATE, documented in docs/partners/jri.md "Result report")."""

from partners.reports import TEMPLATE

MAPPINGS = (TEMPLATE,)
