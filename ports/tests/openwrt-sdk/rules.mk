# A stand-in for an OpenWrt build tree's rules.mk, so that a package
# Makefile of ports/openwrt can be run on a Debian host with a cross
# compiler (tests/integration/ports.sh): only the variables those package
# Makefiles use, with the values OpenWrt gives them.  Not OpenWrt: no
# download, no ipk, no dependency resolution.
#
# Set by the caller: TOPDIR (this folder), EMUL_BUILD_DIR, EMUL_ROOT,
# EMUL_CROSS (e.g. arm-linux-gnueabihf-), EMUL_SYSROOT (libraries of the
# target, standing for OpenWrt's packages), EMUL_TRIPLE, EMUL_DL (where
# tarballs are; EMUL_SOURCE names a substitute for PKG_SOURCE).
# $(EMUL_ROOT)/staging is the staging directory: what Build/InstallDev of
# an earlier package installed comes before the sysroot.
INCLUDE_DIR := $(TOPDIR)/include
BUILD_DIR := $(EMUL_BUILD_DIR)

TARGET_CROSS := $(EMUL_CROSS)
TARGET_CC := $(TARGET_CROSS)gcc
TARGET_AR := $(TARGET_CROSS)ar
TARGET_RANLIB := $(TARGET_CROSS)ranlib
TARGET_CFLAGS := -Os -pipe
STAGING_DIR := $(EMUL_ROOT)/staging
TARGET_CPPFLAGS := -I$(STAGING_DIR)/usr/include -I$(EMUL_SYSROOT)/usr/include
TARGET_LDFLAGS := -L$(STAGING_DIR)/usr/lib -L$(EMUL_SYSROOT)/usr/lib/$(EMUL_TRIPLE) \
	-Wl,-rpath-link,$(STAGING_DIR)/usr/lib \
	-Wl,-rpath-link,$(EMUL_SYSROOT)/usr/lib/$(EMUL_TRIPLE) \
	-Wl,-rpath-link,$(EMUL_SYSROOT)/lib/$(EMUL_TRIPLE)
FPIC := -fPIC
PKG_JOBS := -j2

TARGET_CONFIGURE_OPTS = \
	AR="$(TARGET_AR)" \
	AS="$(TARGET_CC) -c $(TARGET_CFLAGS)" \
	LD="$(TARGET_CROSS)ld" \
	NM="$(TARGET_CROSS)nm" \
	CC="$(TARGET_CC)" \
	GCC="$(TARGET_CC)" \
	CXX="$(TARGET_CROSS)g++" \
	RANLIB="$(TARGET_RANLIB)" \
	STRIP="$(TARGET_CROSS)strip" \
	OBJCOPY="$(TARGET_CROSS)objcopy" \
	OBJDUMP="$(TARGET_CROSS)objdump" \
	SIZE="$(TARGET_CROSS)size"

CP := cp -fpR
LN := ln -sf
INSTALL_DIR := install -d -m0755
INSTALL_BIN := install -m0755
INSTALL_DATA := install -m0644
INSTALL_CONF := install -m0600
