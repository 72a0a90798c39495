"""Demo data: a lender, its staff, and the corporate clients around two core enterprises.

The parties and their facilities are made here; the apps' registered seeders (scf.core.demo)
then add their part, such as the approval matrix and the factoring cases.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from stdnum.cn import uscc as uscc_module

from scf.audit.services import audited
from scf.core.demo import DemoContext, run_seeders
from scf.facilities import services as facility_services
from scf.facilities.models import CreditFacility, Product

from . import accounts, services
from .models import LenderClient, Membership, Organization, StaffGroup, TradeRelationship, User


def make_uscc(division: str, serial: int) -> str:
    """Return a valid unified social credit code for an enterprise (91) in `division`."""
    base = f"91{division}{serial:09d}"
    return base + uscc_module.calc_check_digit(base)


@dataclass(frozen=True)
class DemoOrg:
    key: str
    legal_name: str
    legal_name_en: str
    uscc: str
    roles: tuple[str, ...]
    address: str
    representative: str
    language: str = "zh-hans"


LENDER = DemoOrg("lender", "海川银行股份有限公司", "Haichuan Bank Co., Ltd.", make_uscc("310000", 100000001),
                 ("lender",), "上海市浦东新区陆家嘴环路 1000 号", "周明远", "zh-hans")
ORGS = [
    DemoOrg("core1", "华东重工集团有限公司", "East China Heavy Industries Group Co., Ltd.", make_uscc("320500", 200000001),
            ("core",), "江苏省苏州市工业园区星湖街 88 号", "陈国强"),
    DemoOrg("core2", "南方电器股份有限公司", "Southern Electric Appliances Co., Ltd.", make_uscc("440300", 200000002),
            ("core",), "广东省深圳市南山区科技园路 16 号", "林海", "en"),
    DemoOrg("supplier1", "苏州精密零件有限公司", "Suzhou Precision Parts Co., Ltd.", make_uscc("320500", 300000001),
            ("supplier",), "江苏省苏州市吴中区东吴北路 12 号", "王晓东"),
    DemoOrg("supplier2", "宁波海达钢材有限公司", "Ningbo Haida Steel Co., Ltd.", make_uscc("330200", 300000002),
            ("supplier",), "浙江省宁波市北仑区新碶街道 5 号", "李建华"),
    DemoOrg("supplier3", "无锡恒通电子有限公司", "Wuxi Hengtong Electronics Co., Ltd.", make_uscc("320200", 300000003),
            ("supplier",), "江苏省无锡市新吴区长江路 21 号", "张伟", "en"),
    DemoOrg("supplier4", "常州新源包装有限公司", "Changzhou Xinyuan Packaging Co., Ltd.", make_uscc("320400", 300000004),
            ("supplier", "distributor"), "江苏省常州市武进区湖塘镇 9 号", "赵丽"),
    DemoOrg("dist1", "杭州联华商贸有限公司", "Hangzhou Lianhua Trading Co., Ltd.", make_uscc("330100", 400000001),
            ("distributor",), "浙江省杭州市拱墅区莫干山路 300 号", "孙志刚"),
    DemoOrg("dist2", "合肥顺达贸易有限公司", "Hefei Shunda Trading Co., Ltd.", make_uscc("340100", 400000002),
            ("distributor",), "安徽省合肥市蜀山区长江西路 66 号", "吴敏"),
    DemoOrg("warehouse1", "上海港储物流有限公司", "Shanghai Gangchu Logistics Co., Ltd.", make_uscc("310000", 500000001),
            ("warehouse",), "上海市宝山区蕴川路 2000 号", "郑凯"),
]

STAFF = [
    ("officer", "Li", "Na", [StaffGroup.CREDIT_OFFICER]),
    ("officer2", "Wang", "Fang", [StaffGroup.CREDIT_OFFICER]),
    ("risk", "Zhang", "Qiang", [StaffGroup.RISK_MANAGER]),
    ("committee", "Liu", "Yang", [StaffGroup.CREDIT_COMMITTEE]),
    ("ops", "Chen", "Jing", [StaffGroup.OPERATIONS]),
    # A second operations user: money that one of them prepares, the other releases (maker-checker).
    ("ops2", "Zhou", "Min", [StaffGroup.OPERATIONS]),
    ("lender_admin", "Huang", "Lei", [StaffGroup.ADMIN]),
]

# Who signs contracts for the lender.
LENDER_SIGNATORIES = {"ops", "lender_admin"}

TRADE = [("supplier1", "core1"), ("supplier2", "core1"), ("supplier3", "core2"), ("supplier4", "core2"),
         ("supplier2", "core2"), ("core1", "dist1"), ("core2", "dist2"), ("core2", "dist1")]

# (obligor, product, limit, revolving, max tenor). supplier4, whose KYC is still in draft, has none:
# no facility is proposed for a client that is not KYC-verified.
FACILITIES = [
    ("supplier1", Product.FACTORING, "5000000.00", True, 180),
    ("supplier2", Product.FACTORING, "3000000.00", True, 180),
    ("supplier3", Product.FACTORING, "20000000.00", True, 270),
    ("core1", Product.REVERSE_FACTORING, "50000000.00", True, 360),
    ("core2", Product.REVERSE_FACTORING, "80000000.00", True, 360),
    ("dist1", Product.PLEDGE, "8000000.00", True, 180),
    ("dist1", Product.CONFIRMING, "12000000.00", True, 180),
    ("dist2", Product.CONFIRMING, "6000000.00", False, 180),
    # The core enterprises' guarantee lines (差额退款 / buy-back) beside their distributors' confirming lines.
    ("core1", Product.CONFIRMING, "20000000.00", True, 180),
    ("core2", Product.CONFIRMING, "10000000.00", True, 180),
]

# (organization, bank, branch, account name, number, verified): the lender's collection account and the
# suppliers' accounts the advances are paid into.
ACCOUNTS = [
    ("lender", "海川银行股份有限公司", "上海分行营业部", "海川银行股份有限公司保理回款专户", "3101 0000 8866 2026 001", True),
    ("supplier1", "中国工商银行", "苏州工业园区支行", "苏州精密零件有限公司", "1102 0206 0900 0123 456", True),
    ("supplier2", "中国建设银行", "宁波北仑支行", "宁波海达钢材有限公司", "3305 0110 7401 0000 0288", True),
    ("supplier3", "中国银行", "无锡新吴支行", "无锡恒通电子有限公司", "5245 7812 3006", True),
    ("supplier4", "交通银行", "常州武进支行", "常州新源包装有限公司", "3240 0060 1018 0100 5566 7", False),
    # dist1's pledge loans are paid into it.
    ("dist1", "招商银行", "杭州分行营业部", "杭州联华商贸有限公司", "5719 0823 6610 0888", True),
]

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _user(username: str, password: str, first: str = "", last: str = "", language: str = "en") -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=first, last_name=last, email=f"{username}@example.com",
                    preferred_language=language)
        user.set_password(password)
        user.save()
    return user


def _organization(spec: DemoOrg) -> Organization:
    organization = Organization.objects.filter(uscc=spec.uscc).first()
    if organization is None:
        organization = services.organization_create(
            legal_name=spec.legal_name, legal_name_en=spec.legal_name_en, uscc=spec.uscc, roles=list(spec.roles),
            registered_address=spec.address, legal_representative=spec.representative,
            preferred_language=spec.language, acting_user=None,
        )
    return organization


def _verify_kyc(organization: Organization, operator: User, reviewer: User) -> None:
    if organization.kyc_state != Organization.KycState.DRAFT:
        return
    upload = SimpleUploadedFile("business-licence.pdf", MINIMAL_PDF, content_type="application/pdf")
    services.kyc_document_upload(organization=organization, kind="business_licence", uploaded_file=upload,
                                 acting_user=operator)
    services.kyc_submit(organization=organization, acting_user=operator)
    services.kyc_verify(organization=organization, acting_user=reviewer, note="Demo: documents checked.")


@audited
def seed_demo(*, password: str, lifecycle: bool = True) -> list[tuple[str, str, str]]:
    """Create the demo (idempotent) and return (username, role, organization) for every login."""
    lender = _organization(LENDER)
    context = DemoContext(password=password, lifecycle=lifecycle, lender=lender)
    staff = context.staff
    for username, first, last, groups in STAFF:
        user = _user(username, password, first, last)
        staff[username] = user
        for group in groups:
            user.groups.add(Group.objects.get(name=group))
        services.membership_grant(user=user, organization=lender, role=Membership.Role.OPERATOR, acting_user=None)
        if username in LENDER_SIGNATORIES:
            services.membership_grant(user=user, organization=lender, role=Membership.Role.SIGNATORY,
                                      acting_user=None)
        if StaffGroup.ADMIN in groups and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        context.logins[username] = (", ".join(str(StaffGroup(g).label) for g in groups), lender.legal_name)

    organizations = context.organizations
    for spec in ORGS:
        organization = _organization(spec)
        organizations[spec.key] = organization
        # Every demo organization is the demo lender's client: its staff see them all.
        services.lender_client_add(lender=lender, organization=organization,
                                   source=LenderClient.Source.ONBOARDED, acting_user=None)
        # A Chinese name is written whole, surname first, without a space.
        user = _user(spec.key, password, spec.representative, "",
                     language="zh-hans" if spec.language == "zh-hans" else "en")
        context.clients[spec.key] = user
        for role in (Membership.Role.OPERATOR, Membership.Role.SIGNATORY):
            services.membership_grant(user=user, organization=organization, role=role, acting_user=None)
        context.logins[spec.key] = ("operator, signatory", organization.legal_name)

    # Settlement accounts, entered by the client and verified by operations (the lender's own collection
    # account entered by operations and verified by its administrator); supplier4's waits in the queue.
    for key, bank, branch, name, number, verified in ACCOUNTS:
        organization = lender if key == "lender" else organizations[key]
        if organization.settlement_accounts.exists():
            continue
        enterer = staff["ops"] if key == "lender" else context.clients[key]
        account = accounts.settlement_account_create(
            organization=organization, bank_name=bank, branch=branch, account_name=name, account_number=number,
            currency="CNY", acting_user=enterer)
        if verified:
            accounts.settlement_account_verify(account=account,
                                               acting_user=staff["lender_admin"] if key == "lender" else staff["ops"],
                                               note="Demo: bank confirmation letter checked.")

    for seller, buyer in TRADE:
        TradeRelationship.objects.get_or_create(seller=organizations[seller], buyer=organizations[buyer],
                                                defaults={"since": datetime.date(2024, 1, 1)})

    # Every client but one is KYC-verified, so that the review queue has real work in it.
    for key, organization in organizations.items():
        if key != "supplier4":
            _verify_kyc(organization, context.clients[key], staff["risk"])
            organization.refresh_from_db()

    today = timezone.localdate()
    for key, product, limit, revolving, tenor in FACILITIES:
        obligor = organizations[key]
        if CreditFacility.objects.filter(obligor=obligor, product=product, lender=lender).exists():
            continue
        facility = facility_services.facility_create(
            lender=lender, obligor=obligor, product=product, limit_amount=Decimal(limit),
            valid_from=today.replace(month=1, day=1), valid_to=today.replace(year=today.year + 1, month=12, day=31),
            acting_user=staff["officer"], revolving=revolving, max_tenor_days=tenor,
        )
        facility_services.facility_activate(facility=facility, acting_user=staff["risk"], note="Demo approval")
    # supplier1's factoring line is for its invoices on core1.
    CreditFacility.objects.filter(obligor=organizations["supplier1"], product=Product.FACTORING,
                                  anchor__isnull=True).update(anchor=organizations["core1"])
    # dist2's pledge line is proposed and waits for approval.
    if not CreditFacility.objects.filter(obligor=organizations["dist2"], product=Product.PLEDGE).exists():
        facility_services.facility_create(
            lender=lender, obligor=organizations["dist2"], product=Product.PLEDGE, limit_amount=Decimal("4000000.00"),
            valid_from=today, valid_to=today.replace(year=today.year + 1), acting_user=staff["officer"],
        )

    # Then each app's part: the approval matrix, the product cases.
    run_seeders(context)
    return [(username, role, organization) for username, (role, organization) in context.logins.items()]
