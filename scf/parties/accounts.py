"""Settlement accounts: the client enters them, the lender's operations verify them, money goes only to verified ones.

Four eyes: the person who verifies or rejects an account is neither the one who entered or last
changed it, nor a member of its organization. A lender's own collection account — where debtors are
told to pay — is verified by one of the lender's administrators, never by the operations who change
it. Verifying re-checks the verifier's second factor, as releasing money does. An account whose
holder is not the organization's legal name is verified only once the reviewer confirms having
checked why (a payment to another holder is how a payee account is hijacked). Any change to the
bank, branch, name, number or currency of an account sends it back to pending, keeping what it was
when last verified for the reviewer to compare: until verified again it receives nothing.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from scf.audit.services import audit_record, audited
from scf.core import tenancy
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.money import DEFAULT_CURRENCY

from .exceptions import NoSettlementAccount, SettlementAccountFourEyes
from .models import Organization, SettlementAccount, StaffGroup, User
from .permissions import is_member, is_operator, require
from .second_factor import second_factor_recheck
from .selectors import lender_known_ids, user_lender_ids, user_organization_ids
from .validators import normalize_account_number

Status = SettlementAccount.Status

# What a payment relies on: changing any of these makes a verified account pending again.
PAYMENT_FIELDS = ("bank_name", "branch", "account_name", "account_number", "currency")


# --- reads --------------------------------------------------------------------------------------

@tenancy.rule(SettlementAccount)
def settlement_account_visible(user: User) -> QuerySet[SettlementAccount]:
    """A client sees its own organizations' accounts, never a counterparty's; lender staff also those of the
    organizations known to their lender (its clients and their counterparties), not another lender's clients'."""
    if user.is_superuser:
        return SettlementAccount.objects.all()
    visible = Q(organization_id__in=user_organization_ids(user))
    lender_ids = user_lender_ids(user)
    if lender_ids:
        visible |= Q(organization_id__in=lender_known_ids(lender_ids))
    return SettlementAccount.objects.filter(visible)


def settlement_account_list(*, user: User, status: str | None = None,
                            organization: Organization | None = None) -> QuerySet[SettlementAccount]:
    """Return the accounts the user may see, optionally of one status or organization."""
    qs = tenancy.visible(SettlementAccount, user).select_related("organization", "entered_by", "verified_by")
    if status:
        qs = qs.filter(status=status)
    if organization is not None:
        qs = qs.filter(organization=organization)
    return qs.order_by("organization__legal_name", "currency", "-is_default", "id")


def settlement_account_for(organization: Organization | None, currency: str) -> SettlementAccount | None:
    """Return the organization's verified account in `currency` that money is paid to, or None.

    The default account of the currency if it is verified, else the oldest verified one.
    """
    if organization is None:
        return None
    return SettlementAccount.objects.payout_for(organization, currency)


def no_account_message(organization: Organization, currency: str) -> str:
    return _("%(org)s has no verified settlement account in %(currency)s: add one in the portal (Settlement "
             "accounts) and have it verified by the lender's operations.") % {
        "org": organization.legal_name, "currency": currency}


def settlement_account_require(organization: Organization, currency: str) -> SettlementAccount:
    """Return the verified account money is paid to, or refuse (NoSettlementAccount, 409) naming what is missing."""
    account = settlement_account_for(organization, currency)
    if account is None:
        raise NoSettlementAccount(no_account_message(organization, currency), organization=organization.pk,
                                  currency=currency)
    return account


def printed_account(account: SettlementAccount | None) -> dict | None:
    """Return an account as documents print it: bank (with branch), name and number."""
    if account is None:
        return None
    bank = f"{account.bank_name} {account.branch}".strip() if account.branch else account.bank_name
    return {"bank": bank, "name": account.account_name, "number": account.grouped_number}


# --- who may do what ----------------------------------------------------------------------------

def can_manage_accounts(user: User, organization: Organization) -> bool:
    """Whether the user may add or change the organization's accounts: its operators and administrators."""
    return is_operator(user, organization)


def can_verify_accounts(user: User) -> bool:
    """Whether the user is lender staff entitled to verify accounts (the operations group)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or (user.is_lender_staff and user.has_perm("parties.verify_settlementaccount"))


def _plain(name: str) -> str:
    return "".join((name or "").split()).casefold().replace("（", "(").replace("）", ")")


def holder_mismatch(account: SettlementAccount) -> bool:
    """Whether the account's holder is not the organization: its name does not begin with the legal name.

    A company's account is held in its full legal name (户名), in Chinese or in English, possibly with the
    account's purpose after it (“…有限公司保理回款专户”); a person's or another company's name is a mismatch.
    """
    organization = account.organization
    holder = _plain(account.account_name)
    names = {_plain(organization.legal_name), _plain(organization.legal_name_en)} - {""}
    return not any(holder.startswith(name) for name in names)


def four_eyes_refusal(user: User, account: SettlementAccount) -> str | None:
    """Return why the user may not verify or reject this account, or None."""
    if account.entered_by_id is not None and account.entered_by_id == user.pk:
        return _("You entered or last changed this account: another person of the lender's operations verifies "
                 "it.")
    if account.organization.is_lender and not (user.is_superuser or user.groups.filter(name=StaffGroup.ADMIN).exists()):
        return _("%(org)s's own collection account, where debtors are told to pay, is verified by one of its "
                 "administrators.") % {"org": account.organization.legal_name}
    if not account.organization.is_lender and is_member(user, account.organization_id):
        return _("You are a member of %(org)s: its accounts are verified by the lender's operations.") % {
            "org": account.organization.legal_name}
    return None


# --- writes -------------------------------------------------------------------------------------

def _lock(pk: int) -> SettlementAccount:
    return SettlementAccount.objects.select_for_update().select_related("organization").get(pk=pk)


def _clean(account: SettlementAccount) -> None:
    for field in ("bank_name", "branch", "account_name"):
        setattr(account, field, (getattr(account, field) or "").replace("\x00", "").strip())
    account.account_number = normalize_account_number(account.account_number.replace("\x00", ""))
    account.full_clean(exclude=["status"])


def _make_default(account: SettlementAccount) -> None:
    """Make `account` the only default of its organization and currency (the others are unset first)."""
    (SettlementAccount.objects.filter(organization_id=account.organization_id, currency=account.currency,
                                      is_default=True).exclude(pk=account.pk).update(is_default=False))


def _organization_lock(organization: Organization) -> None:
    # Serialises the default flag of one organization's accounts (PostgreSQL; SQLite locks the database).
    Organization.objects.select_for_update().filter(pk=organization.pk).values_list("pk", flat=True).first()


@audited
def settlement_account_create(*, organization: Organization, bank_name: str, account_name: str,
                              account_number: str, acting_user: User, currency: str = DEFAULT_CURRENCY,
                              branch: str = "",
                              is_default: bool = False) -> SettlementAccount:
    """Enter a new account for the organization; it waits for the lender's operations to verify it.

    The first account of a currency becomes its default.
    """
    require(can_manage_accounts(acting_user, organization),
            _("Only an operator or administrator of %(org)s may manage its settlement accounts.")
            % {"org": organization.legal_name})
    _organization_lock(organization)
    first = not SettlementAccount.objects.filter(organization=organization, currency=currency).exists()
    account = SettlementAccount(organization=organization, bank_name=bank_name, branch=branch,
                                account_name=account_name, account_number=account_number, currency=currency,
                                is_default=is_default or first, entered_by=acting_user, entered_at=timezone.now())
    if account.is_default:
        _make_default(account)
    _clean(account)
    account.save()
    audit_record(action="parties.settlement_account.create", target=account, actor=acting_user,
                 note=f"{organization.legal_name}: {account.bank_name} …{account.account_number[-4:]} "
                      f"{account.currency}")
    return account


@audited
def settlement_account_update(*, account: SettlementAccount, acting_user: User, **changes) -> SettlementAccount:
    """Change an account; a change to what a payment relies on sends it back for verification.

    `changes` holds any of bank_name, branch, account_name, account_number, currency, is_default.
    """
    account = _lock(account.pk)
    organization = account.organization
    require(can_manage_accounts(acting_user, organization),
            _("Only an operator or administrator of %(org)s may manage its settlement accounts.")
            % {"org": organization.legal_name})
    unknown = set(changes) - {*PAYMENT_FIELDS, "is_default"}
    if unknown:
        raise ValidationError({field: _("This field cannot be changed.") for field in sorted(unknown)})
    _organization_lock(organization)
    before = {field: getattr(account, field) for field in PAYMENT_FIELDS}
    for field, value in changes.items():
        setattr(account, field, value)
    if account.is_default:
        _make_default(account)
    _clean(account)
    changed = [field for field in PAYMENT_FIELDS if getattr(account, field) != before[field]]
    if changed and account.status == SettlementAccount.Status.VERIFIED:
        account.previous_details = {field: str(value) for field, value in before.items()}
    if changed:
        account.change(by=acting_user, note=", ".join(changed))
        account.entered_by = acting_user
        account.entered_at = timezone.now()
    account.save()
    audit_record(action="parties.settlement_account.update", target=account, actor=acting_user,
                 note=", ".join(changed) or "default")
    return account


def _review_guard(account: SettlementAccount, method, user: User) -> None:
    if not can_proceed(method):
        raise IllegalTransition(_("This settlement account is %(status)s; only a pending account is verified or "
                                  "rejected.") % {"status": str(account.get_status_display()).lower()})
    if not (can_verify_accounts(user) and (user.is_superuser or has_transition_perm(method, user))):
        raise ActionNotPermitted(_("Only the lender's operations verify settlement accounts."))
    refusal = four_eyes_refusal(user, account)
    if refusal is not None:
        raise SettlementAccountFourEyes(refusal, account=account.pk)


@audited
def settlement_account_verify(*, account: SettlementAccount, acting_user: User, note: str = "",
                              otp_code: str | None = None, holder_checked: bool = False) -> SettlementAccount:
    """Accept a pending account: from now on money may be paid into it.

    A verifier with an authenticator app enters a fresh code from it (`otp_code`). An account whose
    holder is not the organization's legal name needs `holder_checked`: the reviewer confirms having
    checked the client's reason and authorisation for paying another holder.
    """
    account = _lock(account.pk)
    _review_guard(account, account.verify, acting_user)
    if holder_mismatch(account) and not holder_checked:
        raise ValidationError({"holder_checked": ValidationError(
            _("The account holder “%(holder)s” is not %(org)s: confirm that you checked the client's reason and "
              "authorisation for paying into another holder's account.")
            % {"holder": account.account_name, "org": account.organization.legal_name}, code="holder_mismatch")})
    second_factor_recheck(user=acting_user, code=otp_code)
    account.verify(by=acting_user, note=(note or "").strip())
    account.verified_by = acting_user
    account.verified_at = timezone.now()
    account.save()
    return account


@audited
def settlement_account_reject(*, account: SettlementAccount, acting_user: User, note: str) -> SettlementAccount:
    """Refuse a pending account, with the reason the client reads."""
    if not (note or "").strip():
        raise ValidationError({"note": _("Give the reason for rejecting.")}, code="required")
    account = _lock(account.pk)
    _review_guard(account, account.reject, acting_user)
    account.reject(by=acting_user, note=note.strip())
    account.verified_by = acting_user
    account.verified_at = timezone.now()
    account.save()
    return account
