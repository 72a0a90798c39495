"""factory-boy factories for the domain models."""

import datetime
import itertools
from decimal import Decimal

import factory
from django.utils import timezone
from stdnum.cn import uscc

from scf.facilities.models import CreditFacility, Product
from scf.parties.models import Membership, Organization, SettlementAccount, User

_FIRST_SERIAL = 700000001
_serial = itertools.count(_FIRST_SERIAL)


def next_uscc() -> str:
    base = f"91310000{next(_serial):09d}"
    return base + uscc.calc_check_digit(base)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pw-Secret-123")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    legal_name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    legal_name_en = factory.Sequence(lambda n: f"Test Enterprise {n} Co., Ltd.")
    uscc = factory.LazyFunction(next_uscc)
    is_supplier = True
    # Verified by default, as a client that is financed must be; a test of the KYC cycle asks for draft.
    kyc_state = Organization.KycState.VERIFIED
    kyc_verified_at = factory.LazyFunction(timezone.now)
    kyc_expires_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=3 * 365))


    @classmethod
    def _create(cls, model_class, *args, with_account: bool | None = None, bank_name: str = "",
                bank_account_name: str = "", bank_account_number: str = "", **kwargs):
        """Create the organization with a verified default CNY settlement account, as a financed client has.

        Suppliers and lenders get one unless `with_account=False`; `bank_*` set its bank, name and number.
        """
        organization = super()._create(model_class, *args, **kwargs)
        if with_account is None:
            with_account = bool(organization.is_supplier or organization.is_lender or bank_account_number)
        if with_account:
            SettlementAccountFactory(organization=organization, bank_name=bank_name or "Test Bank Shanghai Branch",
                                     account_name=bank_account_name or organization.legal_name,
                                     account_number=bank_account_number or f"6222{organization.pk:012d}")
        return organization


class SettlementAccountFactory(factory.django.DjangoModelFactory):
    """A verified default CNY account; pass status="pending" for one waiting for verification."""

    class Meta:
        model = SettlementAccount

    organization = factory.SubFactory(OrganizationFactory, with_account=False)
    bank_name = "Test Bank Shanghai Branch"
    account_name = factory.LazyAttribute(lambda o: o.organization.legal_name)
    # 62229…: apart from the accounts OrganizationFactory opens (6222 and the organization's id), now that both
    # count from the start again in every test.
    account_number = factory.Sequence(lambda n: f"62229{n:011d}")
    currency = "CNY"
    is_default = True
    status = SettlementAccount.Status.VERIFIED


class LenderFactory(OrganizationFactory):
    legal_name = factory.Sequence(lambda n: f"测试银行{n}")
    is_supplier = False
    is_lender = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.OPERATOR


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditFacility

    reference = factory.Sequence(lambda n: f"CF-T-{n:05d}")
    lender = factory.SubFactory(LenderFactory)
    obligor = factory.SubFactory(OrganizationFactory)
    product = Product.FACTORING
    limit_amount = Decimal("1000000.00")
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    valid_to = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=335))
    state = CreditFacility.State.ACTIVE


def reset_sequences() -> None:
    """Number from the start again: called before each test (tests/conftest.py), whose rows are all gone."""
    global _serial
    _serial = itertools.count(_FIRST_SERIAL)
    # LenderFactory counts on OrganizationFactory's sequence.
    for factory_class in (UserFactory, OrganizationFactory, SettlementAccountFactory, MembershipFactory,
                          FacilityFactory):
        factory_class.reset_sequence()
