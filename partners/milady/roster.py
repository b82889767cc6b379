"""Milady's roster file. What is known (PARTNERS.md): school administrators bulk-import
learners and schools get promo codes; the bulk-import template's columns are not public.
The roster names each learner, the course and the promo code sent with the enrolment,
with our Student ID for matching the progress report that comes back."""

from partners.rosters import RosterLayout, column

LAYOUT = RosterLayout(
    name="Milady learner import",
    sheet_title="Learners",
    columns=(
        column("First Name", "first_name"),
        column("Last Name", "last_name"),
        column("Email", "email"),
        column("Student ID", "student_ref"),
        column("Course Code", "course_code"),
        column("Course", "course_title"),
        column("Promo Code", "promo_code"),
    ),
)
