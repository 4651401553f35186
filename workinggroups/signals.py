"""Events in a convening's life that other parts of the app react to.

The convening services send them inside their transaction; the outbound ledger
(workinggroups.outbound) receives them and writes the messages to send, so the rows
commit or roll back together with the change that caused them.
"""

from django.dispatch import Signal

# People were invited. Arguments: convening, invitations (list of Invitation).
convening_invited = Signal()
# The convening's time or place changed; its `sequence` was already raised. Arguments:
# convening, previous_starts_at.
convening_moved = Signal()
# The convening was cancelled (status and cancelled_at set). Arguments: convening.
convening_cancelled = Signal()
# A waiting yes got the seat someone gave up. Arguments: invitation.
seat_promoted = Signal()
# Attendance was saved (the list replaced, the convening marked held). Arguments: convening,
# actor. Trainings turn it into module completions.
attendance_recorded = Signal()
