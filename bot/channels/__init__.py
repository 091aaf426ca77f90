"""Customer channels (Slack Connect): every customer message tracked with a first-response clock.

A channel is linked to a customer (``channels.yaml``, ``/rapport channel link``, or a proposal an admin
confirms); each customer message there starts or joins a *conversation* whose clock is the tier's
first-response target (``sla.yaml``), a staff reply stops it, ✅ or a quiet period resolves it. At 75% the
owner gets a DM, at breach an alert goes through the alerts outbox; 🎫 makes a ticket; complaints raise the
complaint alert; "Customer context" shows the relationship to staff. Rapport posts nothing visible in a
customer or Slack Connect channel: everything goes to staff privately (DM or ephemeral).

Modules: ``tracking`` (messages -> conversations), ``clock``, ``links``/``proposals``/``facts`` (which
customer, which channels are shared), ``reactions``/``tickets``/``helpdesk``, ``sweep``/``breaches``
(nudges, alerts, quiet resolution), ``complaints``, ``context`` (shortcut, App Home), ``models``, ``views``.
"""
