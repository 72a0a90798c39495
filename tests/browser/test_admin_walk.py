"""The back office in the browser: a lender administrator is not let in, a platform superuser is."""

import pytest

from scf.parties.demo import ORGS

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_lender_administrator_works_in_the_portal_not_the_admin(login, shoot, live_server, django_user_model):
    from playwright.sync_api import expect

    admin_page = login("lender_admin")
    # The portal's menu offers no back office to a lender administrator.
    expect(admin_page.get_by_role("link", name="Back office")).to_have_count(0)
    shoot(admin_page, "portal-without-back-office")
    # Typing the address: the admin answers with its login page, and shows none of the demo's data.
    admin_page.goto("/admin/facilities/creditfacility/")
    expect(admin_page).to_have_url(f"{live_server.url}/admin/login/?next=/admin/facilities/creditfacility/")
    expect(admin_page.locator("body")).not_to_contain_text(ORGS[0].legal_name)
    shoot(admin_page, "admin-refuses-lender-admin")
    # Signing in there with the lender administrator's password does not open it either.
    admin_page.get_by_label("Username").fill("lender_admin")
    admin_page.get_by_label("Password").fill(PASSWORD)
    admin_page.get_by_role("button", name="Log in").click()
    expect(admin_page.locator(".errornote").filter(has_text="platform superuser")).to_be_visible()
    shoot(admin_page, "admin-login-refused")

    django_user_model.objects.create_superuser("platform-root", "root@example.com", PASSWORD)
    root = login("platform-root")
    root.get_by_role("link", name="Back office").click()
    root.goto("/admin/facilities/creditfacility/")
    expect(root.locator("#result_list")).to_contain_text(ORGS[0].legal_name)
    shoot(root, "superuser-sees-facilities")
