/*
 * dnstype: the one table of DNS type mnemonics (IANA's registry), for
 * both programs: tipd's logs and tip's output and options.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dnstype.h"

/* The names are held in the entries, not pointed to: in a position-
 * independent program every pointer in a table costs a relocation (24
 * bytes on amd64, 8 on ARM) and a pointer's room, more than the name. */
static const struct {
	uint16_t type;
	char name[11];	/* "NSEC3PARAM", "OPENPGPKEY" and a NUL */
} qtypes[] = {
	{1, "A"}, {2, "NS"}, {3, "MD"}, {4, "MF"}, {5, "CNAME"}, {6, "SOA"}, {7, "MB"},
	{8, "MG"}, {9, "MR"}, {10, "NULL"}, {11, "WKS"}, {12, "PTR"}, {13, "HINFO"},
	{14, "MINFO"}, {15, "MX"}, {16, "TXT"}, {17, "RP"}, {18, "AFSDB"}, {19, "X25"},
	{20, "ISDN"}, {21, "RT"}, {22, "NSAP"}, {23, "NSAP-PTR"}, {24, "SIG"}, {25, "KEY"},
	{26, "PX"}, {27, "GPOS"}, {28, "AAAA"}, {29, "LOC"}, {30, "NXT"}, {31, "EID"},
	{32, "NIMLOC"}, {33, "SRV"}, {34, "ATMA"}, {35, "NAPTR"}, {36, "KX"}, {37, "CERT"},
	{38, "A6"}, {39, "DNAME"}, {40, "SINK"}, {41, "OPT"}, {42, "APL"}, {43, "DS"},
	{44, "SSHFP"}, {45, "IPSECKEY"}, {46, "RRSIG"}, {47, "NSEC"}, {48, "DNSKEY"},
	{49, "DHCID"}, {50, "NSEC3"}, {51, "NSEC3PARAM"}, {52, "TLSA"}, {53, "SMIMEA"},
	{55, "HIP"}, {56, "NINFO"}, {57, "RKEY"}, {58, "TALINK"}, {59, "CDS"},
	{60, "CDNSKEY"}, {61, "OPENPGPKEY"}, {62, "CSYNC"}, {63, "ZONEMD"}, {64, "SVCB"},
	{65, "HTTPS"}, {99, "SPF"}, {100, "UINFO"}, {101, "UID"}, {102, "GID"},
	{103, "UNSPEC"}, {104, "NID"}, {105, "L32"}, {106, "L64"}, {107, "LP"},
	{108, "EUI48"}, {109, "EUI64"}, {249, "TKEY"}, {250, "TSIG"}, {251, "IXFR"},
	{252, "AXFR"}, {253, "MAILB"}, {254, "MAILA"}, {255, "ANY"}, {256, "URI"},
	{257, "CAA"}, {258, "AVC"}, {259, "DOA"}, {260, "AMTRELAY"}, {32768, "TA"},
	{32769, "DLV"},
};

#define NQTYPES (sizeof qtypes / sizeof qtypes[0])

const char *dnstype_name(uint16_t qtype, char buf[DNSTYPE_NAME_MAX])
{
	for (size_t i = 0; i < NQTYPES; i++)
		if (qtypes[i].type == qtype)
			return qtypes[i].name;
	snprintf(buf, DNSTYPE_NAME_MAX, "TYPE%u", (unsigned)qtype);
	return buf;
}

int dnstype_parse(const char *s, size_t n, uint16_t *qtype)
{
	if (n > 4 && !strncasecmp(s, "TYPE", 4)) {
		uint32_t v = 0;
		if (n - 4 > 5 || (s[4] == '0' && n > 5))
			return -1;
		for (size_t i = 4; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			v = v * 10 + (uint32_t)(s[i] - '0');
		}
		if (v > 65535)
			return -1;
		*qtype = (uint16_t)v;
		return 0;
	}
	if (n == 1 && s[0] == '*') {
		*qtype = 255;
		return 0;
	}
	for (size_t i = 0; i < NQTYPES; i++)
		if (strlen(qtypes[i].name) == n && !strncasecmp(qtypes[i].name, s, n)) {
			*qtype = qtypes[i].type;
			return 0;
		}
	return -1;
}
