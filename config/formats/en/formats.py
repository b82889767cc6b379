"""Dates as staff read them in the admin: short enough that a list's date columns do not
push it off a 1366 px screen ("2 Mar 2026 09:00" in place of "March 2, 2026, 9 a.m.").
Django reads this before its own English formats (settings.FORMAT_MODULE_PATH)."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
