"""Chinese number formats as Chinese finance staff write amounts: 1,300,000.00, grouped by thousands.

Django's own zh_Hans formats group nothing (THOUSAND_SEPARATOR is empty), so "2g" amounts
would read 1300000.00 on the Chinese pages while the English pages and every PDF say
1,300,000.00. Everything else is Django's.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F401,F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
