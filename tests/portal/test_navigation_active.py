"""One menu item is marked as the current section, the most specific one."""

import re

from django.test import Client


def test_the_receivables_page_marks_receivables_only(db, corporate):
    _org, user = corporate("nav-user")
    client = Client()
    client.force_login(user)
    page = client.get("/factoring/receivables/").content.decode()
    active = re.findall(r'<a href="([^"]+)" class="active">', page)
    assert active == ["/factoring/receivables/"]
    assert re.findall(r'<a href="([^"]+)" class="active">', client.get("/factoring/").content.decode()) == [
        "/factoring/"]
