################################################################################
#
# tip
#
################################################################################

# Built from the source tree this external tree lives in (ports/buildroot
# is two levels below the top), so the package and the code never
# disagree.  To build a release instead, set TIP_SITE to its tarball's
# folder, drop TIP_SITE_METHOD and add the tarball's sha256 to tip.hash.
TIP_SRCDIR = $(realpath $(BR2_EXTERNAL_TIP_PATH)/../..)
TIP_VERSION = $(shell cat $(TIP_SRCDIR)/VERSION)
TIP_SITE = $(TIP_SRCDIR)
TIP_SITE_METHOD = local
TIP_LICENSE = ISC
TIP_LICENSE_FILES = LICENSE
# A work tree's build folders are not sources.
TIP_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude=/build --exclude='/build-*'
TIP_DEPENDENCIES = libev udns tinycdb bearssl $(if $(BR2_PACKAGE_TIP_BLACKLIST),zlib)

# TIP's build folder (its O=).
TIP_O = $(@D)/br-build

# TIP_KCONFIG SYMBOL,VALUE: CONFIG_SYMBOL=y when VALUE is y, else off.
define TIP_KCONFIG
	sed -i -e '/^CONFIG_$(1)=/d' -e '/^# CONFIG_$(1) is not set/d' $(TIP_O)/.config
	echo '$(if $(filter y,$(2)),CONFIG_$(1)=y,# CONFIG_$(1) is not set)' >> $(TIP_O)/.config
endef

# The router profile, a complete .config (Buildroot has no kconfig-conf
# for TIP's Kconfig), with the options of Config.in switched.
define TIP_CONFIGURE_CMDS
	mkdir -p $(TIP_O)
	cp $(@D)/configs/openwrt_defconfig $(TIP_O)/.config
	$(call TIP_KCONFIG,TIP,$(BR2_PACKAGE_TIP_TOOL))
	$(call TIP_KCONFIG,MODULE_BLACKLIST,$(BR2_PACKAGE_TIP_BLACKLIST))
	$(call TIP_KCONFIG,MODULE_SHARE,$(BR2_PACKAGE_TIP_SHARE))
	$(call TIP_KCONFIG,TLS,$(if $(BR2_PACKAGE_TIP_TLS)$(BR2_PACKAGE_TIP_SHARE),y))
endef

# TIP's Makefile keeps the flags the code needs apart from CFLAGS, so
# TARGET_CONFIGURE_OPTS (CC, CFLAGS, LDFLAGS...) can be passed as is.
define TIP_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) $(TARGET_CONFIGURE_OPTS) O=$(TIP_O) all
endef

define TIP_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(TIP_O)/tipd $(TARGET_DIR)/usr/sbin/tipd
	$(if $(BR2_PACKAGE_TIP_TOOL),
		$(INSTALL) -D -m 0755 $(TIP_O)/tip $(TARGET_DIR)/usr/bin/tip)
	$(INSTALL) -D -m 0644 $(TIP_PKGDIR)/watchlist $(TARGET_DIR)/etc/tip/watchlist
endef

# BusyBox or SysV init: tipd detaches and drops to user tip itself.
define TIP_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0644 $(TIP_PKGDIR)/tipd.conf $(TARGET_DIR)/etc/tipd.conf
	$(INSTALL) -D -m 0755 $(TIP_PKGDIR)/S90tipd $(TARGET_DIR)/etc/init.d/S90tipd
endef

# systemd: started as user tip, with the unit's hardening (ports/systemd).
TIP_SYSTEMD_DIR = $(BR2_EXTERNAL_TIP_PATH)/../systemd
define TIP_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(TIP_SYSTEMD_DIR)/tipd.conf $(TARGET_DIR)/etc/tipd.conf
	$(INSTALL) -D -m 0644 $(TIP_SYSTEMD_DIR)/tipd.service \
		$(TARGET_DIR)/usr/lib/systemd/system/tipd.service
	$(INSTALL) -D -m 0644 $(TIP_SYSTEMD_DIR)/tipd.tmpfiles \
		$(TARGET_DIR)/usr/lib/tmpfiles.d/tipd.conf
endef

define TIP_USERS
	tip -1 tip -1 * /var/lib/tip - - TIP sensor
endef

$(eval $(generic-package))
