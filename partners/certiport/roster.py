"""Certiport's roster file. What is known (PARTNERS.md): test centres buy exam vouchers;
candidates sit exams in Compass, optionally in an Exam Group; the candidate results
report carries first and last name, e-mail, exam code and name and the voucher code. The
roster therefore names each candidate, the exam, the voucher taken for them from our
stock and the cohort's Exam Group, in the results report's words, with our Student ID to
match the results that come back. Certiport's own import template (if Compass has one)
has not been seen."""

from partners.rosters import RosterLayout, column

LAYOUT = RosterLayout(
    name="Certiport exam candidates",
    sheet_title="Candidates",
    columns=(
        column("Exam Group", "group_code"),
        column("First Name", "first_name"),
        column("Last Name", "last_name"),
        column("Email", "email"),
        column("Student ID", "student_ref"),
        column("Exam Code", "course_code"),
        column("Exam Name", "course_title"),
        column("Voucher Code", "voucher_code"),
    ),
)
