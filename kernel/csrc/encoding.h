/* ---- the value encoding (kernel/encoding.go; the generated programs and the
 * reader share these two functions) ----
 * A VALUE token [A-Z][A-Z0-9]* (at most 64 bytes) is stored as its bytes,
 * NUL-padded to one 64-byte cache line, at offset 0 of its 4096-byte page.
 * Decoding the first 64 bytes of a page: all zero -> "0"; a token followed
 * by NULs only -> the token; anything else -> "?" and the bytes in hex, up
 * to the last non-zero byte. */
/* every runtime function may be unused by a given program */
#define DX_FN static __attribute__((unused))

#define DX_PAGE 4096 /* the page size: file offsets are PAGE * 4096 */
#define DX_LINE 64 /* one cache line: the bytes a value occupies */

DX_FN void dx_encode(const char *tok, unsigned char line[DX_LINE])
{
	size_t n = strlen(tok);
	memset(line, 0, DX_LINE);
	memcpy(line, tok, n > DX_LINE ? DX_LINE : n);
}

DX_FN void dx_decode(const unsigned char line[DX_LINE], char out[2 + 2 * DX_LINE + 1])
{
	static const char hex[] = "0123456789abcdef";
	int last = -1, tok = 1, n = 0, i;
	for (i = 0; i < DX_LINE; i++)
		if (line[i])
			last = i;
	if (last < 0) {
		strcpy(out, "0");
		return;
	}
	for (i = 0; i < DX_LINE && line[i]; i++) {
		unsigned char c = line[i];
		if (!((c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')))
			tok = 0;
	}
	if (tok && i > last) {
		memcpy(out, line, (size_t)i);
		out[i] = 0;
		return;
	}
	out[n++] = '?';
	for (i = 0; i <= last; i++) {
		out[n++] = hex[line[i] >> 4];
		out[n++] = hex[line[i] & 15];
	}
	out[n] = 0;
}
