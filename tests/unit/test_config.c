/* httpd.conf: line parser, ACL matcher, base64/Basic auth, passwords,
 * loading and reloading: tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <crypt.h>

#include <cmocka.h>

#include "config.h"
#include "path.h"
#include "mime.h"

/* --- confline_parse --------------------------------------------------- */

struct lcase {
	const char *line;
	int ret;
	enum confline_kind kind;
	const char *a, *b, *c; /* expected pieces, or the error substring in a */
	int status;
	bool any;
};

static const struct lcase lcases[] = {
	/* blank lines and comments */
	{ "", 0, CK_NONE, NULL, NULL, NULL, 0, false },
	{ "   \t \n", 0, CK_NONE, NULL, NULL, NULL, 0, false },
	{ "# comment", 0, CK_NONE, NULL, NULL, NULL, 0, false },
	{ "  # A:1.2.3.4", 0, CK_NONE, NULL, NULL, NULL, 0, false },
	/* A: / D: (first letter decides, any case; whitespace dropped) */
	{ "A:127.0.0.1", 0, CK_ALLOW, NULL, NULL, NULL, 0, false },
	{ "a: 127.0.0.1 # loopback", 0, CK_ALLOW, NULL, NULL, NULL, 0, false },
	{ "allow:10.0.0.0/25", 0, CK_ALLOW, NULL, NULL, NULL, 0, false },
	{ "D:*", 0, CK_DENY, NULL, NULL, NULL, 0, true },
	{ "deny:172.20.", 0, CK_DENY, NULL, NULL, NULL, 0, false },
	{ "A:*", 0, CK_ALLOW, NULL, NULL, NULL, 0, true },
	{ "D:10.0.0.0/255.255.255.128", 0, CK_DENY, NULL, NULL, NULL, 0, false },
	{ "A:2001:db8::/32", 0, CK_ALLOW, NULL, NULL, NULL, 0, false },
	{ "A:::1", 0, CK_ALLOW, NULL, NULL, NULL, 0, false },
	{ "A:[::1]", 0, CK_ALLOW, NULL, NULL, NULL, 0, false },
	{ "A:1.2.3.4.5", -1, CK_NONE, "bad address", NULL, NULL, 0, false },
	{ "A:256.1.1.1", -1, CK_NONE, "bad address", NULL, NULL, 0, false },
	{ "A:1..2", -1, CK_NONE, "bad address", NULL, NULL, 0, false },
	{ "A:10.0.0.0/33", -1, CK_NONE, "bad address", NULL, NULL, 0, false },
	{ "A:10.0.0.0/", -1, CK_NONE, "bad address", NULL, NULL, 0, false },
	{ "A:10.0.0.0/255.255", -1, CK_NONE, "bad address", NULL, NULL, 0, false },
	{ "D:*x", -1, CK_NONE, "bad address", NULL, NULL, 0, false },
	{ "D:host.example", -1, CK_NONE, "bad address", NULL, NULL, 0, false },
	{ "A:2001:db8::/129", -1, CK_NONE, "bad address", NULL, NULL, 0, false },
	{ "A:2001:db8:::1", -1, CK_NONE, "bad address", NULL, NULL, 0, false },
	/* /path:user:password */
	{ "/adm:admin:setup", 0, CK_AUTH, "/adm", "admin", "setup", 0, false },
	{ "/adm/:toor:Pa:ss", 0, CK_AUTH, "/adm", "toor", "Pa:ss", 0, false },
	{ "//a/./b/../c/:u:p", 0, CK_AUTH, "/a/c", "u", "p", 0, false },
	{ "/:u:p", 0, CK_AUTH, "/", "u", "p", 0, false },
	{ "/adm:u:$1$salt$abc", 0, CK_AUTH, "/adm", "u", "$1$salt$abc", 0, false },
	{ "/adm:admin", -1, CK_NONE, "expected /path:user:password", NULL, NULL, 0, false },
	{ "/adm::pw", -1, CK_NONE, "empty user", NULL, NULL, 0, false },
	{ "/adm:u:", -1, CK_NONE, "empty password", NULL, NULL, 0, false },
	{ "/adm:*:*", -1, CK_NONE, "system accounts", NULL, NULL, 0, false },
	{ "/adm:root:*", -1, CK_NONE, "system accounts", NULL, NULL, 0, false },
	{ "/adm:u:$9$x$y", -1, CK_NONE, "not supported by crypt", NULL, NULL, 0, false },
	{ "/adm", -1, CK_NONE, "expected TYPE:VALUE", NULL, NULL, 0, false },
	/* .ext:type */
	{ ".au:audio/basic", 0, CK_MIME, ".au", "audio/basic", NULL, 0, false },
	{ ".txt : text/plain; charset=utf-8", 0, CK_MIME, ".txt",
	  "text/plain;charset=utf-8", NULL, 0, false },
	{ ".au:basic", -1, CK_NONE, "bad MIME type", NULL, NULL, 0, false },
	{ ".:text/plain", -1, CK_NONE, "bad extension", NULL, NULL, 0, false },
	{ ".a/b:text/plain", -1, CK_NONE, "bad extension", NULL, NULL, 0, false },
	/* I: / H: */
	{ "I:default.htm", 0, CK_INDEX, "default.htm", NULL, NULL, 0, false },
	{ "index:main.html", 0, CK_INDEX, "main.html", NULL, NULL, 0, false },
	{ "I:/etc/passwd", -1, CK_NONE, "must be a name inside", NULL, NULL, 0, false },
	{ "I:../x", -1, CK_NONE, "must be a name inside", NULL, NULL, 0, false },
	{ "H:/srv/www", 0, CK_HOME, "/srv/www", NULL, NULL, 0, false },
	/* Ennn:file */
	{ "E404:/path/e404.html", 0, CK_ERROR_PAGE, "/path/e404.html", NULL, NULL, 404,
	  false },
	{ "e500:err.html", 0, CK_ERROR_PAGE, "err.html", NULL, NULL, 500, false },
	{ "E200:ok.html", -1, CK_NONE, "error status", NULL, NULL, 0, false },
	{ "E:x.html", -1, CK_NONE, "error status", NULL, NULL, 0, false },
	{ "E4o4:x.html", -1, CK_NONE, "error status", NULL, NULL, 0, false },
	/* interpreters (CGI) and reverse-proxy rules (upstream.c checks the target) */
	{ "*.php:/usr/bin/php-cgi", 0, CK_INTERP, ".php", "/usr/bin/php-cgi", NULL, 0,
	  false },
	{ "P:/url:http://host:8080/new/path", 0, CK_PROXY, "/url", "host:8080/new/path",
	  NULL, 0, false },
	{ "P:/url:host/", 0, CK_PROXY, "/url", "host/", NULL, 0, false },
	{ "P:/url", -1, CK_NONE, "expected P:", NULL, NULL, 0, false },
	{ "P:/url:http://", -1, CK_NONE, "expected P:", NULL, NULL, 0, false },
	{ "P:/url:host", -1, CK_NONE, "expected P:", NULL, NULL, 0, false },
	{ "P:/url:HTTP://[::1]:81/x", 0, CK_PROXY, "/url", "[::1]:81/x", NULL, 0, false },
	{ "P:url:host/", -1, CK_NONE, "P: URL 'url' must start", NULL, NULL, 0, false },
	{ "P:/url:https://host/", -1, CK_NONE, "upstream 'https://host/'", NULL, NULL, 0,
	  false },
	{ "P:/url:host:99999/", -1, CK_NONE, "upstream 'host:99999/': bad port", NULL, NULL, 0,
	  false },
	/* malformed lines */
	{ "junk", -1, CK_NONE, "expected TYPE:VALUE", NULL, NULL, 0, false },
	{ ":x", -1, CK_NONE, "expected TYPE:VALUE", NULL, NULL, 0, false },
	{ "A:", -1, CK_NONE, "nothing after ':'", NULL, NULL, 0, false },
	{ "Q:foo", -1, CK_NONE, "unknown line type 'Q:'", NULL, NULL, 0, false },
	{ "1:foo", -1, CK_NONE, "unknown line type", NULL, NULL, 0, false },
	{ "A:1.2.3.4\x01", -1, CK_NONE, "control character", NULL, NULL, 0, false },
};

static void test_parse_line(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lcases) / sizeof(lcases[0]); i++) {
		const struct lcase *t = &lcases[i];
		struct confline r;
		char line[256], err[256] = "";
		int ret;

		snprintf(line, sizeof(line), "%s", t->line);
		ret = confline_parse(line, &r, err, sizeof(err));
		if (ret != t->ret)
			fail_msg("'%s': returned %d (%s), want %d", t->line, ret, err, t->ret);
		if (ret < 0) {
			if (!strstr(err, t->a))
				fail_msg("'%s': error '%s' lacks '%s'", t->line, err, t->a);
			continue;
		}
		if (r.kind != t->kind)
			fail_msg("'%s': kind %d, want %d", t->line, r.kind, t->kind);
		if (t->a && strcmp(r.a, t->a))
			fail_msg("'%s': a '%s', want '%s'", t->line, r.a, t->a);
		if (t->b && strcmp(r.b, t->b))
			fail_msg("'%s': b '%s', want '%s'", t->line, r.b, t->b);
		if (t->c && strcmp(r.c, t->c))
			fail_msg("'%s': c '%s', want '%s'", t->line, r.c, t->c);
		assert_int_equal(r.status, t->status);
		assert_int_equal(r.any, t->any);
	}
}

/* --- ACL ----------------------------------------------------------------- */

static struct in6_addr addr(const char *s)
{
	struct in6_addr a;
	struct in_addr v4;

	if (inet_pton(AF_INET, s, &v4) == 1) {
		memset(&a, 0, sizeof(a));
		a.s6_addr[10] = a.s6_addr[11] = 0xff;
		memcpy(&a.s6_addr[12], &v4, 4);
		return a;
	}
	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

struct ncase {
	const char *net;
	const char *peer;
	bool match;
};

static const struct ncase ncases[] = {
	{ "127.0.0.1", "127.0.0.1", true },
	{ "127.0.0.1", "127.0.0.2", false },
	{ "172.20.", "172.20.255.1", true },
	{ "172.20.", "172.21.0.1", false },
	{ "172.20", "172.20.0.9", true },
	{ "172.20", "172.200.0.9", false },
	{ "10", "10.9.8.7", true },
	{ "10.0.0.0/25", "10.0.0.127", true },
	{ "10.0.0.0/25", "10.0.0.128", false },
	{ "10.0.0.0/255.255.255.128", "10.0.0.5", true },
	{ "10.0.0.0/255.255.255.128", "10.0.0.200", false },
	{ "10.0.0.77/24", "10.0.0.1", true },   /* host bits are masked off */
	{ "0.0.0.0/0", "8.8.8.8", true },
	{ "0.0.0.0/0", "2001:db8::1", false },  /* IPv4 rules: IPv4 peers only */
	{ "1.2.3.4", "::ffff:1.2.3.4", true },
	{ "::1", "::1", true },
	{ "::1", "::2", false },
	{ "::1", "127.0.0.1", false },
	{ "2001:db8::/32", "2001:db8:ffff::1", true },
	{ "2001:db8::/32", "2001:db9::1", false },
	{ "fe80::/10", "febf::1", true },
	{ "fe80::/10", "fec0::1", false },
	{ "::ffff:10.0.0.0/104", "10.1.2.3", true },
	{ "::/0", "10.1.2.3", true },
	{ "[2001:db8::1]", "2001:db8::1", true },
};

static void test_net_match(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ncases) / sizeof(ncases[0]); i++) {
		struct acl_net n;
		struct in6_addr a = addr(ncases[i].peer);

		if (acl_parse_net(ncases[i].net, &n) < 0)
			fail_msg("'%s' not parsed", ncases[i].net);
		if (acl_net_match(&n, &a) != ncases[i].match)
			fail_msg("'%s' vs %s: want %d", ncases[i].net, ncases[i].peer,
				 ncases[i].match);
	}
}

struct acase {
	const char *rules;  /* space separated, as in the file */
	const char *peer;
	bool allowed;
};

static const struct acase acases[] = {
	{ "", "1.2.3.4", true },
	{ "A:*", "1.2.3.4", true },
	{ "D:*", "1.2.3.4", false },
	{ "D:*", "::1", false },
	{ "A:127.0.0.1 D:*", "127.0.0.1", true },
	{ "A:127.0.0.1 D:*", "127.0.0.2", false },
	{ "D:* A:127.0.0.1", "127.0.0.1", true },  /* D:* applies last */
	{ "D:1.2.3. A:*", "1.2.3.9", false },
	{ "D:1.2.3. A:*", "1.2.4.9", true },
	{ "A:10. D:10.0.0.1", "10.0.0.1", false },  /* deny wins */
	{ "A:10. D:10.0.0.1", "10.0.0.2", true },
	{ "A:10.0.0.1 D:10.", "10.0.0.1", false },
	{ "A:::1 D:*", "::1", true },
	{ "A:::1 D:*", "127.0.0.1", false },
	{ "A:2001:db8::/32 D:*", "2001:db8::5", true },
	{ "D:2001:db8::/32", "2001:db8::5", false },
	{ "D:2001:db8::/32", "10.0.0.1", true },
};

static void test_acl(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(acases) / sizeof(acases[0]); i++) {
		struct acl_rule acl[8];
		char buf[256], *tok, *save = NULL;
		size_t n = 0;
		bool deny_all = false;
		struct in6_addr a = addr(acases[i].peer);

		snprintf(buf, sizeof(buf), "%s", acases[i].rules);
		for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			struct confline r;
			char err[128];

			assert_int_equal(confline_parse(tok, &r, err, sizeof(err)), 0);
			if (r.any) {
				deny_all |= r.kind == CK_DENY;
				continue;
			}
			acl[n].net = r.net;
			acl[n++].allow = r.kind == CK_ALLOW;
		}
		if (acl_allows(acl, n, deny_all, &a) != acases[i].allowed)
			fail_msg("'%s' for %s: want %d", acases[i].rules, acases[i].peer,
				 acases[i].allowed);
	}
}

/* --- paths ---------------------------------------------------------------- */

static void test_norm_path(void **state)
{
	static const char *const t[][2] = {
		{ "/", "/" }, { "//", "/" }, { "/adm", "/adm" }, { "/adm/", "/adm" },
		{ "/a//b", "/a/b" }, { "/a/./b/.", "/a/b" }, { "/a/b/..", "/a" },
		{ "/a/../../b", "/b" }, { "/..", "/" }, { "/a/..b", "/a/..b" },
		{ "/.x/y", "/.x/y" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char p[64];

		snprintf(p, sizeof(p), "%s", t[i][0]);
		path_norm(p);
		if (strcmp(p, t[i][1]))
			fail_msg("'%s' → '%s', want '%s'", t[i][0], p, t[i][1]);
	}
}

static void test_path_under(void **state)
{
	(void)state;
	assert_true(path_under("/adm", "/adm"));
	assert_true(path_under("/adm/x", "/adm"));
	assert_false(path_under("/admin", "/adm"));
	assert_false(path_under("/ad", "/adm"));
	assert_true(path_under("/", "/"));
	assert_true(path_under("/anything", "/"));
	assert_true(path_under("/a/b/c", "/a/b"));
	assert_false(path_under("/a", "/a/b"));
}

/* --- base64 and the Authorization header --------------------------------- */

struct bcase {
	const char *in;
	long len;   /* -1: refused */
	const char *out;
};

static const struct bcase bcases[] = {
	{ "", 0, "" },
	{ "Zg==", 1, "f" },
	{ "Zg", 1, "f" },
	{ "Zm8=", 2, "fo" },
	{ "Zm9v", 3, "foo" },
	{ "Zm9vYmFy", 6, "foobar" },
	{ "dXNlcjpwYXNz", 9, "user:pass" },
	{ "+/+/", 3, "\xfb\xff\xbf" },
	{ "Z", -1, NULL },
	{ "Zm9v=", -1, NULL },
	{ "Zg===", -1, NULL },
	{ "Zm 9v", -1, NULL },
	{ "Zm9v!", -1, NULL },
	{ "Zm-_", -1, NULL },
};

static void test_base64(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bcases) / sizeof(bcases[0]); i++) {
		char out[64];
		long n = auth_base64_decode(bcases[i].in, strlen(bcases[i].in), out,
					      sizeof(out));

		if (n != bcases[i].len)
			fail_msg("'%s': %ld, want %ld", bcases[i].in, n, bcases[i].len);
		if (n >= 0)
			assert_memory_equal(out, bcases[i].out, (size_t)n);
	}
}

static void test_base64_bounded(void **state)
{
	char out[4];

	(void)state;
	assert_int_equal(auth_base64_decode("Zm9v", 4, out, sizeof(out)), 3);
	assert_int_equal(auth_base64_decode("Zm9vYg", 6, out, sizeof(out)), -1);
	assert_int_equal(auth_base64_decode("Zm9v", 4, out, 3), -1);
	assert_int_equal(auth_base64_decode("", 0, out, 0), -1);
}

struct ccase {
	const char *hdr;
	int ret;
	const char *user, *pass;
};

static const struct ccase ccases[] = {
	{ "Basic dXNlcjpwYXNz", 0, "user", "pass" },
	{ "basic   dXNlcjpwYXNz  ", 0, "user", "pass" },
	{ " BASIC\tdXNlcjpwYXNz", 0, "user", "pass" },
	{ "Basic OnB3", 0, "", "pw" },                 /* ":pw": empty user */
	{ "Basic dTo=", 0, "u", "" },                  /* "u:" */
	{ "Basic dTpwOnE=", 0, "u", "p:q" },           /* colon in password */
	{ "Basic dXNlcg==", -1, NULL, NULL },          /* "user": no colon */
	{ "Basic", -1, NULL, NULL },
	{ "Basic ", -1, NULL, NULL },
	{ "Basicdxnlcjpwyxnz", -1, NULL, NULL },
	{ "Bearer dXNlcjpwYXNz", -1, NULL, NULL },
	{ "Digest username=\"u\"", -1, NULL, NULL },
	{ "Basic !!!!", -1, NULL, NULL },
	{ "Basic dTpwAHg=", -1, NULL, NULL },          /* NUL inside */
	{ "", -1, NULL, NULL },
};

static void test_basic_credentials(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ccases) / sizeof(ccases[0]); i++) {
		char out[64], *pass = NULL;
		int ret = auth_basic_credentials(ccases[i].hdr, strlen(ccases[i].hdr), out,
						   sizeof(out), &pass);

		if (ret != ccases[i].ret)
			fail_msg("'%s': %d, want %d", ccases[i].hdr, ret, ccases[i].ret);
		if (ret == 0) {
			assert_string_equal(out, ccases[i].user);
			assert_string_equal(pass, ccases[i].pass);
		}
	}
}

static void test_basic_credentials_long(void **state)
{
	char hdr[2048] = "Basic ", out[AUTH_CRED_MAX], *pass;

	(void)state;
	memset(hdr + 6, 'A', 1200);
	hdr[1206] = '\0';
	assert_int_equal(auth_basic_credentials(hdr, strlen(hdr), out, sizeof(out),
						  &pass), -1);
}

/* --- passwords ------------------------------------------------------------ */

static void test_passwords(void **state)
{
	static const char *const prefixes[] = { "$1$", "$5$", "$6$", "$y$" };
	size_t i;

	(void)state;
	assert_true(auth_password_ok("pass", "pass"));
	assert_false(auth_password_ok("pas", "pass"));
	assert_false(auth_password_ok("passs", "pass"));
	assert_false(auth_password_ok("", "pass"));
	assert_false(auth_password_ok("Pass", "pass"));
	/* "$" alone or "$x" is a plain password (as busybox: "$" + digit) */
	assert_true(auth_password_ok("$money", "$money"));
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		const char *salt = crypt_gensalt(prefixes[i], 0, NULL, 0);
		char stored[CRYPT_OUTPUT_SIZE];

		assert_non_null(salt);
		snprintf(stored, sizeof(stored), "%s", crypt("s3cret", salt));
		assert_true(auth_password_ok("s3cret", stored));
		assert_false(auth_password_ok("s3cre", stored));
		assert_false(auth_password_ok(stored, stored));
	}
	/* the busybox documentation's example */
	assert_true(auth_password_ok("secret", "$1$JD1f8dDl$BXjgJca.d4hzL8zwOvx.L0"));
}

/* --- loading, reloading, requests ----------------------------------------- */

static char dir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_config.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	write_file("e404.html", "not here\n");
	return 0;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A request whose spans point into buf: "GET path" + Authorization. */
struct fake {
	char buf[512];
	struct request req;
	struct response resp;
	struct buf hdrs;
	struct sockaddr_in6 peer;
};

static void fake(struct fake *f, const char *path, const char *auth, const char *peer)
{
	size_t n;

	memset(f, 0, sizeof(*f));
	n = (size_t)snprintf(f->buf, sizeof(f->buf), "X%s", path);
	f->req.base = f->buf;
	f->req.path.off = 1;
	f->req.path.len = (uint32_t)(n - 1);
	if (auth) {
		f->req.hdr[H_AUTHORIZATION].off = (uint32_t)n + 1;
		f->req.hdr[H_AUTHORIZATION].len = (uint32_t)strlen(auth);
		memcpy(f->buf + n + 1, auth, strlen(auth));
	}
	buf_init(&f->hdrs, HTTP_HDRS_MAX);
	f->resp.hdrs = &f->hdrs;
	f->resp.fd = -1;
	f->peer.sin6_family = AF_INET6;
	f->peer.sin6_addr = addr(peer);
}

static enum status check(const char *path, const char *auth, const char *peer,
			 const char **user, char *hdrs, size_t hsz)
{
	char rel[PATH_REL_MAX];
	struct fake f;
	enum status s, path_st;

	fake(&f, path, auth, peer);
	*user = NULL;
	/* the path as the route resolves it, once */
	path_st = path_resolve(span_ptr(&f.req, f.req.path), f.req.path.len, rel, sizeof(rel));
	s = config_check(&f.req, rel, path_st, &f.peer, &f.resp, user);
	if (hdrs)
		snprintf(hdrs, hsz, "%.*s", (int)f.hdrs.len, f.hdrs.data ? f.hdrs.data : "");
	buf_free(&f.hdrs);
	return s;
}

#define GOOD "A:127.0.0.1\nA:::1\nD:*\n/adm:admin:setup\n/adm:toor:PaSsWd\n" \
	"/adm/deep:deep:er\n.xyz:text/x-xyz\nI:main.html\nE404:e404.html\n"

static void test_load_and_check(void **state)
{
	char conf[128], hdrs[256];
	const char *user;
	int fd;

	(void)state;
	snprintf(conf, sizeof(conf), "%s/httpd.conf", dir);
	write_file("httpd.conf", GOOD);
	assert_int_equal(config_load(conf, dir), 0);
	assert_string_equal(config_index_name(), "main.html");
	assert_string_equal(mime_lookup("a.xyz"), "text/x-xyz");
	fd = config_error_page(404);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(config_error_page(500), -1);

	/* ACL */
	assert_int_equal(check("/", NULL, "127.0.0.1", &user, NULL, 0), S_OK);
	assert_int_equal(check("/", NULL, "::1", &user, NULL, 0), S_OK);
	assert_int_equal(check("/", NULL, "10.0.0.1", &user, NULL, 0), S_FORBIDDEN);
	assert_int_equal(check("/adm/", NULL, "10.0.0.1", &user, NULL, 0), S_FORBIDDEN);
	/* auth: missing, right, wrong, other user of the same prefix */
	config_set_realm("R \"q\" \\");
	assert_int_equal(check("/adm/x", NULL, "127.0.0.1", &user, hdrs, sizeof(hdrs)),
			 S_UNAUTHORIZED);
	assert_string_equal(hdrs, "WWW-Authenticate: Basic realm=\"R \\\"q\\\" \\\\\"\r\n");
	config_set_realm("Web Server Authentication");
	/* admin:setup */
	assert_int_equal(check("/adm/x", "Basic YWRtaW46c2V0dXA=", "127.0.0.1", &user,
			       NULL, 0), S_OK);
	assert_string_equal(user, "admin");
	/* toor:PaSsWd */
	assert_int_equal(check("/adm", "Basic dG9vcjpQYVNzV2Q=", "127.0.0.1", &user,
			       NULL, 0), S_OK);
	assert_string_equal(user, "toor");
	/* admin:wrong */
	assert_int_equal(check("/adm/x", "Basic YWRtaW46d3Jvbmc=", "127.0.0.1", &user,
			       NULL, 0), S_UNAUTHORIZED);
	/* toor:setup: another user's password */
	assert_int_equal(check("/adm/x", "Basic dG9vcjpzZXR1cA==", "127.0.0.1", &user,
			       NULL, 0), S_UNAUTHORIZED);
	/* the longest prefix decides: admin is not a user of /adm/deep */
	assert_int_equal(check("/adm/deep/x", "Basic YWRtaW46c2V0dXA=", "127.0.0.1", &user,
			       NULL, 0), S_UNAUTHORIZED);
	/* deep:er */
	assert_int_equal(check("/adm/deep/x", "Basic ZGVlcDplcg==", "127.0.0.1", &user,
			       NULL, 0), S_OK);
	/* decoded and normalized before matching */
	assert_int_equal(check("/x/../%61dm//y", NULL, "127.0.0.1", &user, NULL, 0),
			 S_UNAUTHORIZED);
	assert_int_equal(check("/admin", NULL, "127.0.0.1", &user, NULL, 0), S_OK);
	assert_int_equal(check("/adm/httpd.conf", NULL, "127.0.0.1", &user, NULL, 0),
			 S_FORBIDDEN);
	assert_int_equal(check("/adm/x", "Basic", "127.0.0.1", &user, NULL, 0),
			 S_UNAUTHORIZED);
}

static void test_reload_keeps_old(void **state)
{
	char conf[128];
	const char *user;

	(void)state;
	snprintf(conf, sizeof(conf), "%s/httpd.conf", dir);
	write_file("httpd.conf", GOOD);
	assert_int_equal(config_load(conf, dir), 0);
	/* a bad line: the whole new file is refused */
	write_file("httpd.conf", "I:other.html\nQ:bad\n");
	config_reload();
	assert_string_equal(config_index_name(), "main.html");
	assert_int_equal(check("/", NULL, "10.0.0.1", &user, NULL, 0), S_FORBIDDEN);
	/* a missing error page is an error too */
	write_file("httpd.conf", "E404:missing.html\n");
	assert_int_equal(config_load(conf, dir), -1);
	assert_string_equal(config_index_name(), "main.html");
	/* P: lines are resolved at load: a name that does not resolve is an error */
	write_file("httpd.conf", "P:/x:no-such-host.invalid/y\nI:w.html\n");
	assert_int_equal(config_load(conf, dir), -1);
	assert_string_equal(config_index_name(), "main.html");
	assert_null(config_proxy("/x/a", 4));
	write_file("httpd.conf", "P:/x:127.0.0.1/y\n*.php:/usr/bin/php\nI:w.html\n");
	assert_int_equal(config_load(conf, dir), 0);
	assert_string_equal(config_index_name(), "w.html");
	assert_int_equal(check("/", NULL, "10.0.0.1", &user, NULL, 0), S_OK);
	assert_string_equal(mime_lookup("a.xyz"), "application/octet-stream");
	assert_non_null(config_proxy("/x/a", 4));
	assert_string_equal(config_proxy("/x/a", 4)->path, "/y");
	/* a good one replaces it */
	write_file("httpd.conf", "D:10.0.0.1\n");
	config_reload();
	assert_null(config_proxy("/x/a", 4));
	assert_string_equal(config_index_name(), "index.html");
	assert_int_equal(check("/", NULL, "10.0.0.1", &user, NULL, 0), S_FORBIDDEN);
	assert_int_equal(check("/", NULL, "10.0.0.2", &user, NULL, 0), S_OK);
	/* a missing -c file keeps the old one */
	assert_int_equal(config_load("/nonexistent/httpd.conf", dir), -1);
	assert_int_equal(check("/", NULL, "10.0.0.1", &user, NULL, 0), S_FORBIDDEN);
}

static void test_line_too_long(void **state)
{
	char conf[128], *text = malloc(CONFLINE_MAX + 64);

	(void)state;
	assert_non_null(text);
	memset(text, 'x', CONFLINE_MAX + 10);
	memcpy(text, "I:", 2);
	strcpy(text + CONFLINE_MAX + 10, "\nI:ok.html\n");
	snprintf(conf, sizeof(conf), "%s/long.conf", dir);
	write_file("long.conf", text);
	assert_int_equal(config_load(conf, dir), -1);
	free(text);
	write_file("long.conf", "H:.\nI:ok.html\n");
	assert_int_equal(config_load(conf, dir), 0);
	assert_string_equal(config_index_name(), "ok.html");
	write_file("long.conf", "H:nosuchdir\n");
	assert_int_equal(config_load(conf, dir), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_line),
		cmocka_unit_test(test_net_match),
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_norm_path),
		cmocka_unit_test(test_path_under),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_base64_bounded),
		cmocka_unit_test(test_basic_credentials),
		cmocka_unit_test(test_basic_credentials_long),
		cmocka_unit_test(test_passwords),
		cmocka_unit_test(test_load_and_check),
		cmocka_unit_test(test_reload_keeps_old),
		cmocka_unit_test(test_line_too_long),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
