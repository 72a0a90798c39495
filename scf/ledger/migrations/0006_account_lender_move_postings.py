"""Give every ledger account its lender, moving existing postings without changing any balance.

Until now the lender's own accounts were keyed `HOUSE:<purpose>:<currency>` and a party's
`<party>:<purpose>:<currency>`, shared by every lender on the deployment. Each entry belongs to
one lender, found from what it records:

- `factoring:<financing reference>:...` — the financing's lender;
- `receipt:<lender USCC>:<bank reference>[:return]` — that lender;
- an entry a receipt records (collections.Receipt.entry) — the receipt's lender;
- a reversal — the lender of the entry it reverses;
- otherwise the lender owning one of the entry's accounts, or the deployment's only lender.

An account whose postings all belong to one lender is re-keyed in place (its postings are not
touched). An account whose postings belong to several lenders keeps those of the first lender
(by lowest id) and a new account in each other lender's books takes theirs: postings are
append-only on PostgreSQL, so their trigger is disabled for this one update, inside this
migration's transaction. An account with no postings goes to the lender owning it or the only
lender, or is dropped (it holds nothing). Balances per account and per lender are the same
before and after. Backwards leaves the lenders in place (0005 backwards refuses if accounts
were split).
"""

from collections import defaultdict

from django.db import migrations

TRIGGER = "ledger_posting_append_only"


def _code(lender_uscc, owner_uscc, purpose, currency):
    if owner_uscc is None:
        return f"HOUSE:{lender_uscc}:{purpose}:{currency}"
    return f"{lender_uscc}:{owner_uscc}:{purpose}:{currency}"


def _entry_lenders(apps) -> dict[int, int]:
    """Return entry id → lender id, for every entry that has postings."""
    JournalEntry = apps.get_model("ledger", "JournalEntry")
    Organization = apps.get_model("parties", "Organization")
    Posting = apps.get_model("ledger", "Posting")
    FactoringFinancing = apps.get_model("factoring", "FactoringFinancing")
    Receipt = apps.get_model("collections", "Receipt")

    lenders = list(Organization.objects.filter(is_lender=True).values_list("id", flat=True))
    by_uscc = dict(Organization.objects.filter(is_lender=True).values_list("uscc", "id"))
    by_financing = dict(FactoringFinancing.objects.values_list("reference", "lender_id"))
    by_receipt_entry = dict(Receipt.objects.values_list("entry_id", "lender_id"))
    lender_owners = defaultdict(set)
    for entry_id, owner_id in Posting.objects.filter(account__owner__is_lender=True).values_list(
            "entry_id", "account__owner_id"):
        lender_owners[entry_id].add(owner_id)

    entries = {e["id"]: e for e in JournalEntry.objects.values("id", "idempotency_key", "reverses_id")}
    found: dict[int, int] = {}

    def lender_of(entry_id: int, seen: frozenset = frozenset()) -> int:
        if entry_id in found:
            return found[entry_id]
        entry = entries[entry_id]
        key = entry["idempotency_key"]
        parts = key.split(":")
        lender = by_receipt_entry.get(entry_id)
        if lender is None and entry["reverses_id"] and entry["reverses_id"] not in seen:
            lender = lender_of(entry["reverses_id"], seen | {entry_id})
        if lender is None and parts[0] == "factoring" and len(parts) > 1:
            lender = by_financing.get(parts[1])
        if lender is None and parts[0] == "receipt" and len(parts) > 1:
            lender = by_uscc.get(parts[1])
        if lender is None and len(lender_owners.get(entry_id, ())) == 1:
            (lender,) = lender_owners[entry_id]
        if lender is None and len(lenders) == 1:
            lender = lenders[0]
        if lender is None:
            raise RuntimeError(f"Cannot tell which lender's books journal entry {entry_id} ({key!r}) belongs to; "
                               "nothing was migrated.")
        found[entry_id] = lender
        return lender

    for entry_id in Posting.objects.values_list("entry_id", flat=True).distinct():
        lender_of(entry_id)
    return found


def forwards(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    Organization = apps.get_model("parties", "Organization")
    Posting = apps.get_model("ledger", "Posting")

    entry_lender = _entry_lenders(apps)
    usccs = dict(Organization.objects.values_list("id", "uscc"))
    lenders = list(Organization.objects.filter(is_lender=True).values_list("id", flat=True))

    # account id → lender id → posting ids
    postings = defaultdict(lambda: defaultdict(list))
    for posting_id, account_id, entry_id in Posting.objects.values_list("id", "account_id", "entry_id"):
        postings[account_id][entry_lender[entry_id]].append(posting_id)

    moves = []  # (posting ids, new account id)
    for account in Account.objects.filter(lender__isnull=True).select_related("owner").order_by("id"):
        by_lender = postings.get(account.pk)
        owner_uscc = account.owner.uscc if account.owner_id else None
        if not by_lender:
            if account.owner_id and account.owner.is_lender:
                lender = account.owner_id
            elif len(lenders) == 1:
                lender = lenders[0]
            else:
                account.delete()  # no postings: it holds nothing
                continue
            by_lender = {lender: []}
        first, *others = sorted(by_lender)
        account.lender_id = first
        account.code = _code(usccs[first], owner_uscc, account.purpose, account.currency)
        account.save(update_fields=["lender", "code"])
        for lender in others:
            new = Account.objects.create(code=_code(usccs[lender], owner_uscc, account.purpose, account.currency),
                                         lender_id=lender, owner_id=account.owner_id, purpose=account.purpose,
                                         currency=account.currency)
            moves.append((by_lender[lender], new.pk))

    if not moves:
        return
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(f"ALTER TABLE ledger_posting DISABLE TRIGGER {TRIGGER};")
    for posting_ids, account_id in moves:
        for start in range(0, len(posting_ids), 500):  # SQLite takes a limited number of parameters
            Posting.objects.filter(pk__in=posting_ids[start:start + 500]).update(account_id=account_id)
    if postgresql:
        # The foreign keys are deferred: check them now, so that the table may be altered again.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE;")
        schema_editor.execute(f"ALTER TABLE ledger_posting ENABLE TRIGGER {TRIGGER};")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED;")


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0005_account_lender"),
        ("factoring", "0008_financing_settlement_account"),
        ("collections", "0004_remove_receipt_financing"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
