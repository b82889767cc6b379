"""NRF Foundation RISE Up's roster file. What is known (PARTNERS.md): vouchers are moved
to sites and students are added from a spreadsheet template; the template itself has not
been seen. The roster names each student, the site (the cohort's group code), the
credential and the voucher taken for the student, with our Student ID for matching."""

from partners.rosters import RosterLayout, column

LAYOUT = RosterLayout(
    name="RISE Up student template",
    sheet_title="Students",
    columns=(
        column("Site", "group_code"),
        column("First Name", "first_name"),
        column("Last Name", "last_name"),
        column("Email", "email"),
        column("Student ID", "student_ref"),
        column("Credential", "course_title"),
        column("Credential Code", "course_code"),
        column("Voucher Code", "voucher_code"),
    ),
)
