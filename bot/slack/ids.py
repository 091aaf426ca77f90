"""Every action_id, callback_id and block_id the app uses: one place, so listeners and views agree."""

from __future__ import annotations

# Ask
ASK_FEEDBACK_UP = "ask_feedback_up"
ASK_FEEDBACK_DOWN = "ask_feedback_down"
ASK_ESCALATE = "ask_escalate"
ASK_REQUEST_APPROVAL = "ask_request_approval"
ASK_PICK_CUSTOMER = "ask_pick_customer"
ASK_GET_PERSON = "ask_get_person"
FEEDBACK_MODAL = "feedback_modal"

# Alerts
ALERT_ACK = "alert_ack"
ALERT_SNOOZE_1D = "alert_snooze_1d"
ALERT_SNOOZE_7D = "alert_snooze_7d"
ALERT_SNOOZE_CUSTOM = "alert_snooze_custom"
ALERT_ASSIGN_ME = "alert_assign_me"
ALERT_ASSIGN_USER = "alert_assign_user"
ALERT_OPEN_CARD = "alert_open_card"
ALERT_SNOOZE_MODAL = "alert_snooze_modal"
ALERT_ACK_GROUP = "alert_ack_group"  # value: comma-separated alert ids (a customer's roll-up or digest entry)
ALERT_ACK_ALL = "alert_ack_all"  # value: the digest's outbox id ("Ack all shown")
ALERTS_PAGE = "alerts_page"  # value: the page of /rapport alerts or App Home to show

# Approvals
APPROVAL_APPROVE = "approval_approve"
APPROVAL_REJECT = "approval_reject"
APPROVAL_CHANGES = "approval_request_changes"
APPROVAL_REQUEST_MODAL = "approval_request_modal"
APPROVAL_REJECT_MODAL = "approval_reject_modal"
APPROVAL_CHANGES_MODAL = "approval_changes_modal"

# Hand-off
HANDOFF_CLAIM = "handoff_claim"
HANDOFF_RESOLVE = "handoff_resolve"

# Customer card
CUSTOMER_CARD = "customer_card"

# Customer channels
CHANNEL_LINK_ACCEPT = "channel_link_accept"  # value: {"p": proposal id}
CHANNEL_LINK_DECLINE = "channel_link_decline"
CUSTOMER_CONTEXT = "customer_context"  # the message shortcut's callback_id
