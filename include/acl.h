/* A:/D: rules of httpd.conf: address operands and their matching (pure). */
#ifndef ACL_H
#define ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* An address and mask, IPv4 as v4-mapped IPv6 (::ffff:a.b.c.d); the
 * address is stored already masked. An all-zero mask matches everyone. */
struct acl_net {
	uint8_t addr[16];
	uint8_t mask[16];
};

struct acl_rule {
	struct acl_net net;
	bool allow;
};

/* "*"-less A:/D: operand: 1.2.3.4, 172.20., 10.0.0.0/25,
 * 10.0.0.0/255.255.255.128, 2001:db8::/32, ::1. 0 or -1. */
int acl_parse_net(const char *s, struct acl_net *n);
bool acl_net_match(const struct acl_net *n, const struct in6_addr *a);
/* Busybox order: a matching D: denies, else a matching A: allows, else
 * D:* denies, else allowed. */
bool acl_allows(const struct acl_rule *acl, size_t n, bool deny_all,
		const struct in6_addr *peer);

#endif
