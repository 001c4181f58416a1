# A stand-in for Buildroot's generic-package, so that a package of
# ports/buildroot can be built on a Debian host with a cross compiler
# (tests/integration/ports.sh).  Not Buildroot: no Kconfig, no download,
# no dependency ordering.  It does what Buildroot does for one package:
# checks the sources against the package's .hash file, extracts the tarball
# from EMUL_DL (or copies a local site with the rsync exclusions the
# package asks for), then runs its CONFIGURE, BUILD, INSTALL_STAGING,
# INSTALL_TARGET and INSTALL_INIT_SYSV / INSTALL_INIT_SYSTEMD commands with
# Buildroot's variable names and values.
#
#   make -f ports/tests/buildroot-emul.mk PKG=udns BR2_EXTERNAL_TIP_PATH=... \
#        EMUL_OUT=... EMUL_DL=... EMUL_CROSS=arm-linux-gnueabihf- \
#        EMUL_SYSROOT=... EMUL_TRIPLE=... [BR2_PACKAGE_...=y] [EMUL_INIT=sysv|systemd]

PKG ?= tip
UPKG := $(shell echo $(PKG) | tr a-z- A-Z_)
EMUL_INIT ?= sysv

BUILD_DIR := $(EMUL_OUT)/build
STAGING_DIR := $(EMUL_OUT)/staging
TARGET_DIR := $(EMUL_OUT)/target
INSTALL := install
BR2_SHARED_STATIC_LIBS := y

TARGET_CROSS := $(EMUL_CROSS)
TARGET_CC := $(TARGET_CROSS)gcc
TARGET_AR := $(TARGET_CROSS)ar
TARGET_RANLIB := $(TARGET_CROSS)ranlib
TARGET_CFLAGS := -D_LARGEFILE_SOURCE -D_LARGEFILE64_SOURCE -D_FILE_OFFSET_BITS=64 -Os -g0
# Staging first (what the external tree's packages installed), then the
# Debian sysroot for the packages Buildroot has (libev, bearssl).
TARGET_CPPFLAGS := -I$(STAGING_DIR)/usr/include -I$(EMUL_SYSROOT)/usr/include
TARGET_LDFLAGS := -L$(STAGING_DIR)/usr/lib -L$(EMUL_SYSROOT)/usr/lib/$(EMUL_TRIPLE) \
	-Wl,-rpath-link,$(STAGING_DIR)/usr/lib \
	-Wl,-rpath-link,$(EMUL_SYSROOT)/usr/lib/$(EMUL_TRIPLE) \
	-Wl,-rpath-link,$(EMUL_SYSROOT)/lib/$(EMUL_TRIPLE)
TARGET_MAKE_ENV := PATH=$(PATH)
TARGET_CONFIGURE_OPTS = \
	$(TARGET_MAKE_ENV) \
	AR="$(TARGET_AR)" \
	AS="$(TARGET_CROSS)as" \
	LD="$(TARGET_CROSS)ld" \
	NM="$(TARGET_CROSS)nm" \
	CC="$(TARGET_CC)" \
	GCC="$(TARGET_CC)" \
	CPP="$(TARGET_CROSS)cpp" \
	CXX="$(TARGET_CROSS)g++" \
	RANLIB="$(TARGET_RANLIB)" \
	STRIP="$(TARGET_CROSS)strip" \
	OBJCOPY="$(TARGET_CROSS)objcopy" \
	OBJDUMP="$(TARGET_CROSS)objdump" \
	DEFAULT_ASSEMBLER="$(TARGET_CROSS)as" \
	DEFAULT_LINKER="$(TARGET_CROSS)ld" \
	CPPFLAGS="$(TARGET_CPPFLAGS)" \
	CFLAGS="$(TARGET_CFLAGS)" \
	LDFLAGS="$(TARGET_LDFLAGS)" \
	PKG_CONFIG=/bin/false \
	STAGING_DIR="$(STAGING_DIR)"

generic-package :=
$(UPKG)_PKGDIR := $(BR2_EXTERNAL_TIP_PATH)/package/$(PKG)/
include $(BR2_EXTERNAL_TIP_PATH)/package/$(PKG)/$(PKG).mk

D := $(BUILD_DIR)/$(PKG)-$($(UPKG)_VERSION)
HASHFILE := $(BR2_EXTERNAL_TIP_PATH)/package/$(PKG)/$(PKG).hash

.PHONY: all
all: $(D)/.stamp_installed

# Sources: a local site is copied (rsync's exclusions, done with tar);
# a tarball must match every sha256 line of the .hash file that names it.
$(D)/.stamp_extracted:
	rm -rf $(D)
	mkdir -p $(D)
ifeq ($($(UPKG)_SITE_METHOD),local)
	cd $($(UPKG)_SITE) && tar cf - --exclude=./.git \
		$(patsubst --exclude=/%,--exclude=./%,$(subst ',,$($(UPKG)_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS))) . \
		| tar xf - -C $(D)
else
	grep -q '^sha256 .* $($(UPKG)_SOURCE)$$' $(HASHFILE)
	grep '^sha256 .* $($(UPKG)_SOURCE)$$' $(HASHFILE) | \
		while read -r a h f; do echo "$$h  $(EMUL_DL)/$$f" | sha256sum -c --quiet || exit 1; done
	tar xf $(EMUL_DL)/$($(UPKG)_SOURCE) -C $(D) --strip-components=1
	grep '^sha256' $(HASHFILE) | grep -v ' $($(UPKG)_SOURCE)$$' | \
		while read -r a h f; do echo "$$h  $(D)/$$f" | sha256sum -c --quiet || exit 1; done
endif
	touch $@

$(D)/.stamp_configured: $(D)/.stamp_extracted
	$($(UPKG)_CONFIGURE_CMDS)
	touch $@

$(D)/.stamp_built: $(D)/.stamp_configured
	$($(UPKG)_BUILD_CMDS)
	touch $@

$(D)/.stamp_installed: $(D)/.stamp_built
	mkdir -p $(STAGING_DIR)/usr/lib $(TARGET_DIR)/usr/lib
	$(if $(filter YES,$($(UPKG)_INSTALL_STAGING)),$($(UPKG)_INSTALL_STAGING_CMDS))
	$($(UPKG)_INSTALL_TARGET_CMDS)
	$(if $(filter sysv,$(EMUL_INIT)),$($(UPKG)_INSTALL_INIT_SYSV))
	$(if $(filter systemd,$(EMUL_INIT)),$($(UPKG)_INSTALL_INIT_SYSTEMD))
	touch $@
