/* recorder_tools.c - what the holder of the keys runs: `ctitap keygen sign|box PREFIX`,
 * `ctitap decrypt [--salvage] KEY IN OUT`, and the command line of those and `ctitap verify`.
 *
 * Encrypted files: magic "CTREC\1\0\0", crypto_box_seal(per-file key, recipient public key),
 * the XChaCha20-Poly1305 secretstream header, then chunks [u32 le length][ciphertext]: the
 * first an info chunk (kind; for a WAV its initial header), then the data, then a final chunk
 * tagged FINAL (a WAV's final header; empty for a stream). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recorder_int.h"

/* ---- keys ---- */

static int write_file_excl(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return ct_esys(errno);
	(void)fchmod(fd, mode);
	size_t n = strlen(text);
	bool ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
	int e = errno;
	close(fd);
	return ok ? CT_OK : ct_esys(e);
}

int ct_recorder_keygen(const char *kind, const char *prefix, FILE *report)
{
	if (sodium_init() < 0)
		return CT_EIO;
	char kpath[4096], ppath[4096];
	snprintf(kpath, sizeof(kpath), "%s.key", prefix);
	snprintf(ppath, sizeof(ppath), "%s.pub", prefix);
	uint8_t sk[crypto_sign_SECRETKEYBYTES], pk[crypto_sign_PUBLICKEYBYTES];
	size_t sklen, pklen;
	if (strcmp(kind, "sign") == 0) {
		crypto_sign_keypair(pk, sk);
		sklen = crypto_sign_SECRETKEYBYTES;
		pklen = crypto_sign_PUBLICKEYBYTES;
	} else if (strcmp(kind, "box") == 0) {
		crypto_box_keypair(pk, sk);
		sklen = crypto_box_SECRETKEYBYTES;
		pklen = crypto_box_PUBLICKEYBYTES;
	} else {
		fprintf(report, "keygen: kind is sign or box, not %s\n", kind);
		return CT_EINVAL;
	}
	char hex[2 * crypto_sign_SECRETKEYBYTES + 2];
	rec_hex(sk, sklen, hex);
	hex[2 * sklen] = '\n';
	hex[2 * sklen + 1] = '\0';
	int rc = write_file_excl(kpath, hex, 0600);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(hex, sizeof(hex));
	if (rc == CT_OK) {
		rec_hex(pk, pklen, hex);
		hex[2 * pklen] = '\n';
		hex[2 * pklen + 1] = '\0';
		rc = write_file_excl(ppath, hex, 0644);
	}
	if (rc != CT_OK)
		fprintf(report, "keygen: cannot create %s or %s (they must not exist): %s\n", kpath, ppath,
			strerror(errno));
	else
		fprintf(report, "keygen: %s (secret, 0600) and %s written\n", kpath, ppath);
	return rc;
}

/* ---- decrypt ---- */

static bool read_full(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		ssize_t k = read(fd, b, n);
		if (k <= 0)
			return false;
		b += k;
		n -= (size_t)k;
	}
	return true;
}

int ct_recorder_decrypt(const char *in, const char *out, const char *secret_key_file, bool salvage, FILE *report)
{
	if (sodium_init() < 0)
		return CT_EIO;
	uint8_t sk[crypto_box_SECRETKEYBYTES], pk[crypto_box_PUBLICKEYBYTES];
	char err[256];
	int krc = rec_key_load(secret_key_file, sk, sizeof(sk), err, sizeof(err));
	if (krc != CT_OK) {
		fprintf(report, "decrypt: %s\n", err);
		return krc;
	}
	crypto_scalarmult_base(pk, sk);
	int ifd = open(in, O_RDONLY | O_CLOEXEC);
	if (ifd < 0) {
		int e = errno;
		fprintf(report, "decrypt: %s: %s\n", in, strerror(e));
		return ct_esys(e);
	}
	int rc = CT_EFORMAT;
	int ofd = -1;
	uint8_t *m = malloc(REC_BUF + 64), *c = malloc(REC_BUF + 64);
	uint8_t head[REC_ENC_MAGIC_LEN + crypto_box_SEALBYTES + crypto_secretstream_xchacha20poly1305_KEYBYTES +
		     crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	crypto_secretstream_xchacha20poly1305_state ss;
	if (!m || !c || !read_full(ifd, head, sizeof(head)) || memcmp(head, REC_ENC_MAGIC, REC_ENC_MAGIC_LEN) != 0) {
		fprintf(report, "decrypt: %s is not a ctitap encrypted file\n", in);
		goto out;
	}
	if (crypto_box_seal_open(key, head + REC_ENC_MAGIC_LEN, crypto_box_SEALBYTES + sizeof(key), pk, sk) != 0) {
		fprintf(report, "decrypt: %s was not encrypted to this key\n", in);
		rc = CT_EPERM;
		goto out;
	}
	crypto_secretstream_xchacha20poly1305_init_pull(&ss, head + sizeof(head) -
								 crypto_secretstream_xchacha20poly1305_HEADERBYTES,
							 key);
	sodium_memzero(key, sizeof(key));
	ofd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (ofd < 0) {
		rc = ct_esys(errno);
		fprintf(report, "decrypt: cannot create %s (it must not exist): %s\n", out, ct_strerror(rc));
		goto out;
	}
	int kind = 0;
	size_t hlen = 0;
	uint8_t hdr[REC_HDR_MAX];
	uint64_t off = 0, chunks = 0;
	bool final = false;
	for (;;) {
		uint8_t lb[4];
		if (!read_full(ifd, lb, 4))
			break;
		uint32_t clen = (uint32_t)lb[0] | (uint32_t)lb[1] << 8 | (uint32_t)lb[2] << 16 | (uint32_t)lb[3] << 24;
		if (clen < crypto_secretstream_xchacha20poly1305_ABYTES || clen > REC_BUF + 64 || !read_full(ifd, c, clen))
			break;
		unsigned long long mlen = 0;
		unsigned char tag = 0;
		if (crypto_secretstream_xchacha20poly1305_pull(&ss, m, &mlen, &tag, c, clen, NULL, 0) != 0) {
			fprintf(report, "decrypt: chunk %" PRIu64 " does not authenticate\n", chunks);
			break;
		}
		chunks++;
		if (kind == 0) {
			kind = mlen ? m[0] : -1;
			if (kind == REC_ENC_KIND_WAV) {
				hlen = mlen >= 5 ? (size_t)m[1] | (size_t)m[2] << 8 : 0;
				if (hlen == 0 || hlen > REC_HDR_MAX || mlen != 5 + hlen) {
					kind = -1;
					break;
				}
				memcpy(hdr, m + 5, hlen);
				off = hlen;
			} else if (kind != REC_ENC_KIND_STREAM) {
				break;
			}
			continue;
		}
		if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
			if (kind == REC_ENC_KIND_WAV && mlen == hlen)
				memcpy(hdr, m, hlen);
			final = true;
			break;
		}
		if (pwrite(ofd, m, (size_t)mlen, (off_t)off) != (ssize_t)mlen) {
			rc = ct_esys(errno);
			goto out;
		}
		off += mlen;
	}
	if (kind != REC_ENC_KIND_WAV && kind != REC_ENC_KIND_STREAM) {
		fprintf(report, "decrypt: %s: no valid first chunk\n", in);
		goto out;
	}
	if (!final && !salvage) {
		fprintf(report, "decrypt: %s ends without its final chunk (cut short or truncated); --salvage "
				"recovers what authenticates\n",
			in);
		goto out;
	}
	if (kind == REC_ENC_KIND_WAV) {
		if (!final) {
			size_t hl = 0;
			uint64_t frames = 0;
			unsigned rate = 0;
			if (rec_wav_repair_header(hdr, hlen, off, &hl, &frames, &rate) != CT_OK || hl != hlen) {
				fprintf(report, "decrypt: %s: the WAV header cannot be rebuilt\n", in);
				goto out;
			}
		}
		if (pwrite(ofd, hdr, hlen, 0) != (ssize_t)hlen) {
			rc = ct_esys(errno);
			goto out;
		}
	}
	fprintf(report, "decrypt: %s -> %s, %" PRIu64 " bytes%s\n", in, out, off,
		final ? "" : " (salvaged: the file was cut short)");
	rc = final ? CT_OK : 1;
out:
	sodium_memzero(sk, sizeof(sk));
	free(m);
	free(c);
	if (ofd >= 0) {
		if (rc < 0)
			unlink(out);
		close(ofd);
	}
	close(ifd);
	return rc;
}

/* ---- command line ---- */

int ct_recorder_cli(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[0], "verify") == 0) {
		const char *pub = NULL;
		if (argc == 4 && strcmp(argv[2], "--pubkey") == 0)
			pub = argv[3];
		else if (argc != 2)
			goto usage;
		int rc = ct_recorder_verify(argv[1], pub, stdout);
		return rc == 0 ? 0 : rc == 1 ? 1 : 66;
	}
	if (argc >= 4 && strcmp(argv[0], "decrypt") == 0) {
		bool salvage = strcmp(argv[1], "--salvage") == 0;
		if (argc != 4 + salvage)
			goto usage;
		int rc = ct_recorder_decrypt(argv[2 + salvage], argv[3 + salvage], argv[1 + salvage], salvage, stderr);
		return rc == 0 ? 0 : rc == 1 ? 2 : 1;
	}
	if (argc == 3 && strcmp(argv[0], "keygen") == 0)
		return ct_recorder_keygen(argv[1], argv[2], stderr) == CT_OK ? 0 : 1;
usage:
	fprintf(stderr, "usage: ctitap verify DIR [--pubkey FILE]\n"
			"       ctitap decrypt [--salvage] SECRET_KEY_FILE IN OUT\n"
			"       ctitap keygen sign|box PREFIX\n");
	return 64;
}
