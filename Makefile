# Fixloop: `make run` installs and serves a demo, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
DEV_STAMP := $(VENV)/.installed-requirements-dev
# The packages whose code is fully typed; mypy (with the Django and DRF plugins) checks them in `make lint`.
TYPED := core cases/embedding.py cases/onnx_embedding.py improvement/errors.py improvement/http_errors.py improvement/permissions.py \
	improvement/models improvement/volumes improvement/themes/ml improvement/themes/services \
	improvement/themes/selectors.py improvement/themes/tasks.py improvement/workflow/services \
	improvement/workflow/selectors.py improvement/workflow/transitions.py improvement/workflow/notifications.py \
	improvement/workflow/tasks.py improvement/impact

.PHONY: install install-dev run worker beat test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# warm_up exports the bundled model to ONNX and compiles UMAP's kernels into numba's cache once per install, so the
# first demo, worker task or refit does not wait for them (its SECRET_KEY only lets settings load; nothing is signed).
WARM_UP := SECRET_KEY=make-install-warm-up $(BIN)/python manage.py warm_up

# --no-compile: Python compiles a module when it is first imported; compiling all of torch's files up front is
# install time spent on modules the app never imports.
$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt
	$(WARM_UP)
	cp requirements.txt $(STAMP)

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -r requirements-dev.txt
	$(WARM_UP)
	cp requirements.txt $(STAMP)
	cp requirements-dev.txt $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

.secret_key:
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > .secret_key

# A local demo on http://127.0.0.1:$(PORT): production settings, but plain http on the loopback only.
run: install .secret_key
	@export SECRET_KEY="$$(cat .secret_key)" HTTPS_ONLY=$${HTTPS_ONLY:-0} STATIC_MANIFEST=$${STATIC_MANIFEST:-1}; \
	$(BIN)/python manage.py migrate --noinput && \
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0 && \
	$(BIN)/python manage.py demo --if-empty $(if $(FILE),--cases-file $(FILE) --format $(or $(FORMAT),generic)) && \
	echo "Fixloop is serving on http://127.0.0.1:$(PORT)/  (logins: lead, exec, owner-<department>, admin; password demo)" && \
	EAGER_LONG_TASKS_IN_BACKGROUND=$${EAGER_LONG_TASKS_IN_BACKGROUND:-1} exec $(BIN)/gunicorn config.wsgi --bind 127.0.0.1:$(PORT) --workers $${WEB_CONCURRENCY:-2} --timeout 600 --access-logfile -

worker: install .secret_key
	SECRET_KEY="$$(cat .secret_key)" $(BIN)/celery -A config worker --loglevel INFO

beat: install .secret_key
	SECRET_KEY="$$(cat .secret_key)" $(BIN)/celery -A config beat --loglevel INFO

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Lint, format, the import contract and the typed packages (CI runs this before the suite).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy $(TYPED)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .secret_key

# --- i15-import: the commands the README shows, each with the settings `make run` uses (.venv, .secret_key,
# plain http on the loopback; DATABASE_URL, SQLITE_PATH and CELERY_BROKER_URL pass through from the shell) ---
.PHONY: import manage reset
MANAGE = export SECRET_KEY="$$(cat .secret_key)" HTTPS_ONLY=$${HTTPS_ONLY:-0}; $(BIN)/python manage.py

# `make import FILE=contacts.csv FORMAT=generic|airline|twcs ARGS="--map text=body --brand Parcelly"`
import: install .secret_key
	@test -n "$(FILE)" || { echo 'usage: make import FILE=contacts.csv FORMAT=generic|airline|twcs [ARGS="--map text=body,received_at=created --brand B --channel email --encoding cp1252"]' >&2; exit 2; }
	@$(MANAGE) import_cases "$(FILE)" --format $(or $(FORMAT),generic) $(ARGS)

# `make manage ARGS="embed_cases"`: any manage.py command.
manage: install .secret_key
	@test -n "$(ARGS)" || { echo 'usage: make manage ARGS="embed_cases"  (any manage.py command and its options)' >&2; exit 2; }
	@$(MANAGE) $(ARGS)

# Start over: delete the SQLite database, so the next `make run` migrates and seeds the demo again.
reset:
	@if [ -n "$$DATABASE_URL" ]; then echo "make reset deletes the SQLite file only; with DATABASE_URL set, drop and recreate that database (dropdb NAME && createdb NAME), then make run" >&2; exit 2; fi; \
	database="$${SQLITE_PATH:-db.sqlite3}"; rm -f "$$database" "$$database-journal" "$$database-wal" "$$database-shm"; \
	echo "Deleted $$database; the next make run migrates it and seeds the demo again."
# --- /i15-import ---
