# Two commands for a new user (see README.md):
#   make run   - install, ingest docs/ incrementally, start the main job
#   make test  - install with the test extras, lint, run the tests (the full suite CI runs)
# and one for a developer between edits:
#   make test-fast - the unit tests only: no tests marked slow or browser (under a minute)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: run test test-fast lint install install-test browser clean

$(PY):
	@echo "==> 创建虚拟环境 $(VENV)（几秒钟）"
	$(PYTHON) -m venv $(VENV)

# Stamps re-run an install only when pyproject.toml or constraints.txt changes.
$(VENV)/.installed: pyproject.toml constraints.txt | $(PY)
	@echo "==> 安装知问及其依赖（首次约 3–4 分钟，需联网；之后只在 pyproject.toml 或 constraints.txt 改动时重装）"
	@start=$$(date +%s); $(PIP) -c constraints.txt -e . && echo "    安装完成，用时 $$(( $$(date +%s) - start )) 秒"
	@touch $@

# torch first, pinned: an unpinned torch would pull a multi-GB CUDA build.
$(VENV)/.installed-test: pyproject.toml constraints.txt | $(PY)
	@echo "==> 安装 CPU 版 torch（首次约 2–3 分钟，需联网）"
	$(PIP) torch==2.13.0
	@echo "==> 安装知问及测试依赖（首次约 2–3 分钟）"
	$(PIP) -c constraints.txt -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	@echo "==> 导入 docs/ 中新增或改动的文件（首次需下载并加载嵌入模型，约 30 秒；之后几秒）"
	$(VENV)/bin/zhiwen ingest docs/
	@echo "==> 启动网页界面（加载索引和模型约 20–30 秒，就绪后显示地址）"
	$(VENV)/bin/zhiwen serve --index .zhiwen/index --corpus docs

# Browser tests drive Debian's Chromium (Playwright's own browser download fails here);
# fonts-noto-cjk so that Chinese renders in screenshots.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto.*CJK"; then \
	  echo "installing chromium and fonts-noto-cjk (Debian packages)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: install-test lint browser
	$(VENV)/bin/pytest

test-fast: install-test
	$(VENV)/bin/pytest -q -m "not slow and not browser"

clean:
	rm -rf $(VENV) .zhiwen .pytest_cache .ruff_cache
