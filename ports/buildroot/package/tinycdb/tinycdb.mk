################################################################################
#
# tinycdb
#
################################################################################

# From Debian's archive (snapshot.debian.org keeps every file it ever
# published), where tinycdb's author keeps it as a native package: the
# hash in tinycdb.hash was read from Debian's signed source package.
# Upstream: http://www.corpit.ru/mjt/tinycdb/
TINYCDB_VERSION = 0.78
TINYCDB_SOURCE = tinycdb_$(TINYCDB_VERSION).tar.gz
TINYCDB_SITE = https://snapshot.debian.org/archive/debian/20250520T000000Z/pool/main/t/tinycdb
TINYCDB_LICENSE = Public Domain
TINYCDB_INSTALL_STAGING = YES

TINYCDB_MAKE_OPTS = \
	CC="$(TARGET_CC)" \
	CFLAGS="$(TARGET_CFLAGS)" \
	LD="$(TARGET_CC)" \
	LDFLAGS="$(TARGET_LDFLAGS)" \
	AR="$(TARGET_AR)" \
	RANLIB="$(TARGET_RANLIB)"

TINYCDB_LIBS = $(if $(BR2_SHARED_LIBS),,staticlib) $(if $(BR2_STATIC_LIBS),,sharedlib)

define TINYCDB_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) $(TINYCDB_MAKE_OPTS) $(TINYCDB_LIBS)
endef

define TINYCDB_INSTALL_STAGING_CMDS
	$(INSTALL) -D -m 0644 $(@D)/cdb.h $(STAGING_DIR)/usr/include/cdb.h
	$(if $(BR2_SHARED_LIBS),,
		$(INSTALL) -D -m 0644 $(@D)/libcdb.a $(STAGING_DIR)/usr/lib/libcdb.a)
	$(if $(BR2_STATIC_LIBS),,
		$(INSTALL) -D -m 0755 $(@D)/libcdb.so.1 $(STAGING_DIR)/usr/lib/libcdb.so.1
		ln -sf libcdb.so.1 $(STAGING_DIR)/usr/lib/libcdb.so)
endef

define TINYCDB_INSTALL_TARGET_CMDS
	$(if $(BR2_STATIC_LIBS),,
		$(INSTALL) -D -m 0755 $(@D)/libcdb.so.1 $(TARGET_DIR)/usr/lib/libcdb.so.1)
endef

$(eval $(generic-package))
