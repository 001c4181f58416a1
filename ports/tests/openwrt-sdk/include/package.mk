# A stand-in for OpenWrt's include/package.mk (see ../rules.mk): the
# package's PKG_BUILD_DIR, the default Build/Prepare (unpack PKG_SOURCE;
# its PKG_HASH is not checked), BuildPackage recording package names, and
# one target, `emul`, that runs Build/Prepare, Build/Configure,
# Build/Compile, Build/InstallDev (into $(EMUL_ROOT)/staging) and each
# package's install (into $(EMUL_ROOT)/PACKAGE), as OpenWrt would.
PKG_BUILD_DIR ?= $(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)

define Build/Prepare
	rm -rf $(PKG_BUILD_DIR)
	mkdir -p $(PKG_BUILD_DIR)
	tar xf $(EMUL_DL)/$(or $(EMUL_SOURCE),$(PKG_SOURCE)) -C $(PKG_BUILD_DIR) --strip-components=1
endef
EMUL_PACKAGES :=
BuildPackage = $(eval EMUL_PACKAGES += $(1))

.PHONY: emul
define EmulInstall
	mkdir -p $(EMUL_ROOT)/$(1)
	$(call Package/$(1)/install,$(EMUL_ROOT)/$(1))

endef

emul:
	$(if $(value Build/Prepare),$(Build/Prepare))
	$(if $(value Build/Configure),$(Build/Configure))
	$(if $(value Build/Compile),$(Build/Compile))
	$(if $(value Build/InstallDev),$(call Build/InstallDev,$(EMUL_ROOT)/staging))
	$(foreach p,$(EMUL_PACKAGES),$(call EmulInstall,$(p)))
