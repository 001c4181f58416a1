################################################################################
#
# udns
#
################################################################################

# The tarball comes from Debian's archive (snapshot.debian.org keeps every
# file it ever published): udns_0.4.orig.tar.gz carries no repack suffix,
# Debian's mark of an altered upstream tarball, and its hash in udns.hash
# was read from Debian's signed source package, not from upstream's site.
# Upstream: http://www.corpit.ru/mjt/udns/ (check the hash if you switch).
UDNS_VERSION = 0.4
UDNS_SOURCE = udns_$(UDNS_VERSION).orig.tar.gz
UDNS_SITE = https://snapshot.debian.org/archive/debian/20250520T000000Z/pool/main/u/udns
UDNS_LICENSE = LGPL-2.1+
UDNS_LICENSE_FILES = COPYING.LGPL
UDNS_INSTALL_STAGING = YES

# udns's own configure runs the programs it compiles, so it cannot
# cross-compile.  What it would find on any Linux C library is written
# here instead, and Makefile.in is used directly: its @VAR@ placeholders
# are all overridden on the command line.
define UDNS_CONFIGURE_CMDS
	printf '%s\n' '/* written by udns.mk */' '#define HAVE_GETOPT 1' \
		'#define HAVE_INET_PTON_NTOP 1' '#define HAVE_IPv6 1' \
		'#define HAVE_POLL 1' > $(@D)/config.h
endef

UDNS_MAKE_OPTS = -f Makefile.in \
	CC="$(TARGET_CC)" \
	CFLAGS="$(TARGET_CFLAGS)" \
	CDEFS=-DHAVE_CONFIG_H \
	LD="$(TARGET_CC)" \
	LDFLAGS="$(TARGET_LDFLAGS)" \
	LIBS= \
	AR="$(TARGET_AR)"

UDNS_LIBS = $(if $(BR2_SHARED_LIBS),,staticlib) $(if $(BR2_STATIC_LIBS),,sharedlib)

define UDNS_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) $(UDNS_MAKE_OPTS) $(UDNS_LIBS)
endef

define UDNS_INSTALL_STAGING_CMDS
	$(INSTALL) -D -m 0644 $(@D)/udns.h $(STAGING_DIR)/usr/include/udns.h
	$(if $(BR2_SHARED_LIBS),,
		$(INSTALL) -D -m 0644 $(@D)/libudns.a $(STAGING_DIR)/usr/lib/libudns.a)
	$(if $(BR2_STATIC_LIBS),,
		$(INSTALL) -D -m 0755 $(@D)/libudns.so.0 $(STAGING_DIR)/usr/lib/libudns.so.0
		ln -sf libudns.so.0 $(STAGING_DIR)/usr/lib/libudns.so)
endef

define UDNS_INSTALL_TARGET_CMDS
	$(if $(BR2_STATIC_LIBS),,
		$(INSTALL) -D -m 0755 $(@D)/libudns.so.0 $(TARGET_DIR)/usr/lib/libudns.so.0)
endef

$(eval $(generic-package))
