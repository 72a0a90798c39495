"""factory-boy factories for the domain models."""

import datetime
import itertools
from decimal import Decimal

import factory
from django.utils import timezone
from stdnum.cn import uscc

from scf.facilities.models import CreditFacility, Product
from scf.parties.models import Membership, Organization, User

_serial = itertools.count(700000001)


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
