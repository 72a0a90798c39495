"""Pledge's refusals, each with a stable code a client can branch on."""

from django.utils.translation import gettext_lazy as _

from scf.core.exceptions import DomainError


class PriceFourEyes(DomainError):
    """The person who entered a price tries to approve or reject it: a second person must."""

    code = "price_four_eyes"
    http_status = 409
    default_message = _("You entered this price; a second person must approve it.")


class PriceAlreadyDecided(DomainError):
    """The price was approved or rejected already."""

    code = "price_already_decided"
    http_status = 409
    default_message = _("This price has already been decided.")


class PriceInBatch(DomainError):
    """A price of a file is decided with its file, never alone."""

    code = "price_in_batch"
    http_status = 409
    default_message = _("This price came in a price file: approve or reject the file as a whole.")


class CommodityNotEligible(DomainError):
    """The lender does not accept the commodity as collateral."""

    code = "commodity_not_eligible"
    http_status = 409
    default_message = _("The lender does not accept this commodity as collateral.")


# --- collateral intake ------------------------------------------------------------------------

class AgreementNotActive(DomainError):
    """Collateral counts only under an active agreement (signed by all three parties)."""

    code = "agreement_not_active"
    http_status = 409
    default_message = _("Collateral can be declared only under an active agreement.")


class CollateralAlreadyPledged(DomainError):
    """The receipt or lot is already held (proposed or pledged) under an agreement."""

    code = "collateral_already_pledged"
    http_status = 409
    default_message = _("This receipt or lot is already pledged under an agreement.")


class NotYourWarehouse(DomainError):
    """Only the agreement's own warehouse counts and confirms its goods."""

    code = "not_your_warehouse"
    http_status = 409
    default_message = _("These goods are held by another warehouse: only the agreement's warehouse may confirm them.")


class WarehouseNotApproved(DomainError):
    """The agreement's warehouse is not (or no longer) approved by the lender as its supervisor."""

    code = "warehouse_not_approved"
    http_status = 409
    default_message = _("The lender has not approved this warehouse as its supervisor.")


class ConcentrationLimitExceeded(DomainError):
    """The value the warehouse would hold for the lender would exceed its concentration limit."""

    code = "concentration_limit_exceeded"
    http_status = 409
    default_message = _("The warehouse would hold more for the lender than its concentration limit.")


class CollateralPriceMissing(DomainError):
    """A commodity has no approved price: its value cannot be counted (never as zero)."""

    code = "collateral_price_missing"
    http_status = 409
    default_message = _("A commodity has no approved price: the value cannot be checked.")


class GoodsListNotSigned(DomainError):
    """The notice of pledge follows the pledged goods list signed by the warehouse."""

    code = "goods_list_not_signed"
    http_status = 409
    default_message = _("The warehouse has not signed the pledged goods list yet.")


class IntakeDocumentNotReady(DomainError):
    """The document to sign is not issued yet (or there is none in this state of the intake)."""

    code = "document_not_ready"
    http_status = 409
    default_message = _("There is no issued document of this kind to sign for the intake yet.")
# --- pledge agreements ----------------------------------------------------------------------------

class AgreementStateConflict(DomainError):
    """The agreement's state does not allow the action (edit after submission, approve a draft, ...)."""

    code = "pledge_agreement_state"
    http_status = 409
    default_message = _("The pledge agreement's state does not allow this action.")


class RegistrationConflict(DomainError):
    """The registration cannot be recorded or cancelled now (one already recorded, goods still pledged, ...)."""

    code = "pledge_registration_conflict"
    http_status = 409
    default_message = _("The pledge's registration cannot be changed now.")


class ClosingBlocked(DomainError):
    """The agreement cannot be closed yet; the message names everything still missing."""

    code = "pledge_closing_blocked"
    http_status = 409
    default_message = _("The pledge agreement cannot be closed yet.")


# --- releases and splits ----------------------------------------------------------------------

class ReleaseExceedsReleasable(DomainError):
    """The goods asked for are worth more, or are more, than may be released now (DESIGN §5 "Release")."""

    code = "release_exceeds_releasable"
    http_status = 409
    default_message = _("This release would take more than may be released now.")


class ReleasePartialReceipt(DomainError):
    """A receipt is released whole; the warehouse splits it first to release part of it."""

    code = "release_partial_receipt"
    http_status = 409
    default_message = _("A warehouse receipt is released whole: ask the warehouse to split it first.")


class ValuationNotReliable(DomainError):
    """A price is missing or stale: what may be released cannot be relied on."""

    code = "valuation_stale"
    http_status = 409
    default_message = _("The valuation is stale or a price is missing: nothing can be released until the prices "
                        "are updated.")


class ItemNotReleasable(DomainError):
    """The item is not pledged under this agreement, or is already in a release not yet executed."""

    code = "item_not_releasable"
    http_status = 409
    default_message = _("These goods cannot be released under this agreement now.")


class SplitConflict(DomainError):
    """The receipt cannot be split now (not pledged, not a receipt, part of a pending release, numbers taken)."""

    code = "receipt_split_conflict"
    http_status = 409
    default_message = _("This receipt cannot be split now.")


class SubstitutionNotAllowed(DomainError):
    """A substitution needs a dynamic pledge and new goods of the agreement already counted and pledged."""

    code = "substitution_not_allowed"
    http_status = 409
    default_message = _("This substitution is not possible: the new goods must be pledged first, under a dynamic "
                        "pledge.")


class SubstitutionExceedsValueIn(DomainError):
    """The goods going out are worth more than the new goods brought in for them (DESIGN §5, 换货)."""

    code = "substitution_exceeds_value_in"
    http_status = 409
    default_message = _("The goods going out are worth more than the new goods brought in.")


class SubstitutionBelowFloor(DomainError):
    """After the substitution the goods would be worth less than the dynamic pledge's floor value."""

    code = "substitution_below_floor"
    http_status = 409
    default_message = _("After this substitution the goods would be worth less than the floor value.")


class SubstitutionRefused(DomainError):
    """A substitution takes out more value than it brings in, or leaves less than the floor value."""

    code = "substitution_refused"
    http_status = 409
    default_message = _("This substitution is not allowed: the value in must cover the value out and the floor.")


# --- drawdowns ------------------------------------------------------------------------------------

class DrawdownStateConflict(DomainError):
    """The drawdown's state does not allow the action (disburse a request not approved, repay a repaid loan, ...)."""

    code = "pledge_drawdown_state"
    http_status = 409
    default_message = _("The drawdown's state does not allow this action.")


class DrawdownAboveAvailable(DomainError):
    """The amount asked for is more than the agreement lets the pledgor draw now; the message gives the figures."""

    code = "drawdown_above_available"
    http_status = 409
    default_message = _("The amount is more than is available to draw under the agreement.")


class ValuationStale(DomainError):
    """A price the valuation uses is older than the agreement's maximum age: no new drawdown on it."""

    code = "valuation_stale"
    http_status = 409
    default_message = _("The collateral's valuation is stale: a new price must be approved before drawing.")


class DisbursementBeforeRegistration(DomainError):
    """No loan under an agreement without its registration (中登网) in force."""

    code = "disbursement_before_registration"
    http_status = 409
    default_message = _("The pledge is not registered: no disbursement before registration.")


# --- default and disposal -------------------------------------------------------------------------

class DisposalStateConflict(DomainError):
    """The disposal's state does not allow the action (a sale on a settled disposal, settling an open one)."""

    code = "pledge_disposal_state"
    http_status = 409
    default_message = _("The disposal's state does not allow this action.")


class DisposalFourEyes(DomainError):
    """The person who entered the sale tries to approve it: a second person must."""

    code = "pledge_disposal_four_eyes"
    http_status = 409
    default_message = _("You entered this sale; a second person must approve it.")
# --- margin calls -------------------------------------------------------------------------------

class MarginCallClosed(DomainError):
    """A cure (cash margin, repayment, goods) against a margin call that is cured, expired or in default."""

    code = "pledge_margin_call_closed"
    http_status = 409
    default_message = _("This margin call is closed: it can no longer be cured.")
