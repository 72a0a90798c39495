# Quick start: `make run` serves the demo on http://127.0.0.1:8000; `make test` runs the whole suite.
# Both set up what is missing first: the virtualenv, Python packages, Debian packages, the database.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= demo-pass-2026
PYTEST_ARGS ?=
# The suite runs on both cores (pytest-xdist); PYTEST_WORKERS=0 runs it in one process. A worker that runs out of
# tests takes half of the other's queue (worksteal), and the log ends with the 30 slowest steps.
PYTEST_WORKERS ?= 2

# What WeasyPrint needs (Pango, HarfBuzz subsetting, CJK fonts), pdftoppm for previews, Chromium for browser tests,
# msgfmt to compile the Chinese catalogue.
DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fontconfig poppler-utils chromium gettext

.PHONY: run up e2e test setup system-packages venv messages migrate seed static seal clean bench check-deploy

run: setup messages migrate seed static seal
	$(PY) manage.py runserver $(HOST):$(PORT)

# The production topology on this machine (Procfile, run by honcho): gunicorn, the documents, mail and
# nightly-batch Celery workers and beat, over the local PostgreSQL and Redis. Ctrl-C stops them all.
UP_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/scf
UP_BROKER_URL ?= redis://127.0.0.1:6379/0
UP_ENV = DJANGO_SETTINGS_MODULE=scf.settings.local DATABASE_URL=$(UP_DATABASE_URL) \
	CELERY_BROKER_URL=$(UP_BROKER_URL) CELERY_RESULT_BACKEND=$(UP_BROKER_URL) PATH=$(CURDIR)/$(VENV)/bin:$$PATH

up: setup messages static
	$(UP_ENV) $(PY) manage.py database_create
	$(UP_ENV) $(PY) manage.py migrate --noinput
	$(UP_ENV) $(PY) manage.py make_seal_certificate
	$(UP_ENV) $(PY) manage.py seed_demo --password $(DEMO_PASSWORD)
	mkdir -p var
	$(UP_ENV) HOST=$(HOST) PORT=$(PORT) $(VENV)/bin/honcho start

# One factoring case through the Procfile's processes as `make up` runs them (gunicorn, real Celery workers and
# beat, no eager mode) on the local PostgreSQL and Redis; .ci/run runs it after the PostgreSQL pass. The database
# is dropped and created, the broker's Redis database (and the next one, for results) emptied.
E2E_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/scf_e2e
E2E_BROKER_URL ?= redis://127.0.0.1:6379/12
E2E_PORT ?= 8790

e2e: setup messages static
	E2E_DATABASE_URL=$(E2E_DATABASE_URL) E2E_BROKER_URL=$(E2E_BROKER_URL) $(PY) tests/e2e/lifecycle.py --port $(E2E_PORT)

test: setup messages
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(if $(filter-out 0,$(PYTEST_WORKERS)),--dist worksteal) --durations=30 $(PYTEST_ARGS)

setup: system-packages venv

# The compiled catalogue is built from the .po every time, so the pages never speak an older translation.
messages: system-packages
	msgfmt --check -o locale/zh_Hans/LC_MESSAGES/django.mo locale/zh_Hans/LC_MESSAGES/django.po

system-packages:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null && fc-cache -f >/dev/null; \
	else \
	  echo "Missing Debian packages. Run:"; echo "  sudo apt-get install -y$$missing && fc-cache -f"; exit 1; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	@touch $@

migrate: setup
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo --password $(DEMO_PASSWORD)

seal: setup
	$(PY) manage.py make_seal_certificate

# Collected again only when something it collects changed: our static files, the installed packages, or
# the list of vendors' files left out (scf/core/staticfiles.py). A second `make run` goes straight on.
STATIC_STAMP := staticfiles/.collected

static: setup $(STATIC_STAMP)

$(STATIC_STAMP): $(VENV)/.installed $(shell find static -type f) scf/core/staticfiles.py scf/core/storage.py
	$(PY) manage.py collectstatic --noinput -v 0
	@touch $@

check-deploy: setup
	DEBUG=false SECRET_KEY=$$(openssl rand -hex 32) ALLOWED_HOSTS=scf.example.com \
	  DJANGO_SETTINGS_MODULE=scf.settings.production $(PY) manage.py check --deploy --fail-level WARNING

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 media
