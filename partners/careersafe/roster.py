"""CareerSafe's roster file. What is known (PARTNERS.md, CareerSafe's help pages): seats
are handed out through group and teacher codes, and the gradebook lists each student by
name per group and course. CareerSafe's own bulk-import template has not been seen, so
the columns are the ones a CareerSafe administrator needs to place each student in the
right group and course, named as the gradebook names them, plus our Student ID so the
gradebook export that comes back can be matched. The teacher code is CareerSafe's (given
with the group); we hold only the cohort's group code."""

from partners.rosters import RosterColumn, RosterLayout, column, us_date

LAYOUT = RosterLayout(
    name="CareerSafe group roster",
    sheet_title="Roster",
    columns=(
        column("Group Code", "group_code"),
        column("Last Name", "last_name"),
        column("First Name", "first_name"),
        column("Email", "email"),
        column("Student ID", "student_ref"),
        column("Course", "course_code"),
        column("Course Name", "course_title"),
        RosterColumn("Date Requested", us_date("requested_at")),
    ),
)
