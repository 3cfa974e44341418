"""Issues closed before closing cancelled their fixes: cancel the fixes still open on them, audited, once."""

from django.db import migrations

OPEN_STATUSES = ["proposed", "accepted", "in_progress"]
REASON = "issue closed (cancelled when closing started to cancel open fixes)"


def cancel_open_fixes_of_closed_issues(apps, schema_editor):
    FixTicket = apps.get_model("improvement", "FixTicket")
    IssueEvent = apps.get_model("improvement", "IssueEvent")
    open_fixes = FixTicket.objects.filter(issue__status="closed", status__in=OPEN_STATUSES).order_by("id")
    for fix in open_fixes:
        IssueEvent.objects.create(
            issue_id=fix.issue_id,
            fix=fix,
            kind="fix_status",
            actor=None,
            from_status=fix.status,
            to_status="cancelled",
            note=REASON,
            # Old history: nobody is notified of it.
            notified_at=fix.updated_at,
        )
        fix.status = "cancelled"
        fix.withdrawal_reason = REASON
        fix.save(update_fields=["status", "withdrawal_reason"])


class Migration(migrations.Migration):
    dependencies = [("improvement", "0006_known_errors_fix_withdrawal_and_chat_deliveries")]

    operations = [migrations.RunPython(cancel_open_fixes_of_closed_issues, migrations.RunPython.noop)]
