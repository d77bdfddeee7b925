package exec

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash/crc32"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// String and binary functions of planner/analyzer/fn_string_more.go. Strings and binaries
// share Arrow's offsets-and-bytes layout, so both are read with stringsOf; positions and
// lengths count characters, as in Spark.

func init() {
	RegisterKernel("left", stringIntKernel(func(dst, s []byte, n int64) []byte {
		if n <= 0 {
			return dst
		}
		return append(dst, s[:byteOffsetOfRune(s, n)]...)
	}))
	RegisterKernel("right", stringIntKernel(func(dst, s []byte, n int64) []byte {
		if n <= 0 {
			return dst
		}
		count := int64(utf8.RuneCount(s))
		if n >= count {
			return append(dst, s...)
		}
		return append(dst, s[byteOffsetOfRune(s, count-n):]...)
	}))
	RegisterKernel("substring_index", substringIndexKernel)
	RegisterKernel("split_part", splitPartKernel)
	RegisterKernel("levenshtein", levenshteinKernel)
	RegisterKernel("chr", chrKernel)
	RegisterKernel("base64", bytesToString(appendMimeBase64))
	RegisterKernel("md5", bytesToString(func(dst, b []byte) []byte { sum := md5.Sum(b); return hex.AppendEncode(dst, sum[:]) }))
	RegisterKernel("sha1", bytesToString(func(dst, b []byte) []byte { sum := sha1.Sum(b); return hex.AppendEncode(dst, sum[:]) }))
	RegisterKernel("hex", bytesToString(func(dst, b []byte) []byte {
		return append(dst, strings.ToUpper(hex.EncodeToString(b))...)
	}))
	RegisterKernel("hex_integer", integerDigitsKernel(16))
	RegisterKernel("bin_integer", integerDigitsKernel(2))
	RegisterKernel("find_in_set", findInSetKernel)
	RegisterKernel("url_encode", bytesToString(appendURLEncoded))
	RegisterKernel("url_decode", urlDecodeKernel)
	RegisterKernel("sha2", sha2Kernel)
	RegisterKernel("crc32", crc32Kernel)
	RegisterKernel("unbase64", unbase64Kernel)
	RegisterKernel("unhex", unhexKernel)
}

// byteOffsetOfRune is the byte offset of the n-th character (0-based), or len(s) past the end.
func byteOffsetOfRune(s []byte, n int64) int {
	offset := 0
	for k := int64(0); k < n && offset < len(s); k++ {
		_, size := utf8.DecodeRune(s[offset:])
		offset += size
	}
	return offset
}

// stringIntKernel applies f to a string and an integer argument (the analyzer casts it to int).
func stringIntKernel(f func(dst, s []byte, n int64) []byte) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		in := stringsOf(arrays[0])
		counts := values[int32](arrays[1])
		n := int(length)
		validity := newValidity(ec.Task.Allocator, n, arrays...)
		out := newStringOutput(n, len(in.data))
		for i := 0; i < n; i++ {
			if validity.valid(i) {
				out.data = f(out.data, in.at(i), int64(counts[i]))
			}
			out.appendEmpty()
		}
		return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
	}
}

// bytesToString applies f to each string or binary value, giving a string.
func bytesToString(f func(dst, b []byte) []byte) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args[:1], length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		in := stringsOf(arrays[0])
		n := int(length)
		validity := newValidity(ec.Task.Allocator, n, arrays...)
		out := newStringOutput(n, len(in.data)*2)
		for i := 0; i < n; i++ {
			if validity.valid(i) {
				out.data = f(out.data, in.at(i))
			}
			out.appendEmpty()
		}
		return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
	}
}

// substringIndexKernel: the text before the count-th delimiter (from the right for a negative
// count); the whole string when there are fewer; empty for a count of 0 or an empty delimiter.
func substringIndexKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	text, delimiters, counts := stringsOf(arrays[0]), stringsOf(arrays[1]), values[int32](arrays[2])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, len(text.data))
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			s, delimiter, count := text.at(i), delimiters.at(i), int(counts[i])
			switch {
			case count == 0 || len(delimiter) == 0:
			case count > 0:
				end, from := len(s), 0
				for k := 0; k < count; k++ {
					at := bytes.Index(s[from:], delimiter)
					if at < 0 {
						end = len(s)
						break
					}
					end = from + at
					from = end + len(delimiter)
				}
				out.data = append(out.data, s[:end]...)
			default:
				start, to := 0, len(s)
				for k := 0; k < -count; k++ {
					at := bytes.LastIndex(s[:to], delimiter)
					if at < 0 {
						start = 0
						break
					}
					start = at + len(delimiter)
					to = at
				}
				out.data = append(out.data, s[start:]...)
			}
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
}

// splitPartKernel is split_part(str, delimiter, part): 1-based, negative from the end, empty
// past the last part; part 0 is an error.
func splitPartKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	text, delimiters, parts := stringsOf(arrays[0]), stringsOf(arrays[1]), values[int32](arrays[2])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, len(text.data))
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			part := int(parts[i])
			if part == 0 {
				validity.release()
				return nil, errkind.Invalid("[INVALID_INDEX_OF_ZERO] The index 0 is invalid in %s. An index shall be either < 0 or > 0 (the first element has index 1)", call.String())
			}
			s, delimiter := text.at(i), delimiters.at(i)
			pieces := [][]byte{s}
			if len(delimiter) > 0 {
				pieces = bytes.Split(s, delimiter)
			}
			if part < 0 {
				part = len(pieces) + part + 1
			}
			if part >= 1 && part <= len(pieces) {
				out.data = append(out.data, pieces[part-1]...)
			}
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
}

// levenshteinKernel counts character edits; with a threshold, -1 when the distance exceeds it.
func levenshteinKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	left, right := stringsOf(arrays[0]), stringsOf(arrays[1])
	var thresholds []int32
	if len(arrays) > 2 {
		thresholds = values[int32](arrays[2])
	}
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		a, b := []rune(string(left.at(i))), []rune(string(right.at(i)))
		previous := make([]int, len(b)+1)
		current := make([]int, len(b)+1)
		for j := range previous {
			previous[j] = j
		}
		for x := 1; x <= len(a); x++ {
			current[0] = x
			for y := 1; y <= len(b); y++ {
				cost := 1
				if a[x-1] == b[y-1] {
					cost = 0
				}
				current[y] = min(previous[y]+1, current[y-1]+1, previous[y-1]+cost)
			}
			previous, current = current, previous
		}
		distance := int32(previous[len(b)])
		if thresholds != nil && distance > thresholds[i] {
			distance = -1
		}
		out[i] = distance
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int32, n, buf, validity)), nil
}

// chrKernel: the character of code n mod 256 (empty for a negative n), as Spark's chr.
func chrKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	codes := values[int64](arrays[0])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, n)
	for i := 0; i < n; i++ {
		if validity.valid(i) && codes[i] >= 0 {
			out.data = utf8.AppendRune(out.data, rune(codes[i]&0xff))
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
}

// integerDigitsKernel is hex(n) and bin(n): the digits of n's 64-bit two's complement.
func integerDigitsKernel(base int) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		v := values[int64](arrays[0])
		n := int(length)
		validity := newValidity(ec.Task.Allocator, n, arrays...)
		out := newStringOutput(n, n*4)
		for i := 0; i < n; i++ {
			if validity.valid(i) {
				out.data = append(out.data, strings.ToUpper(strconv.FormatUint(uint64(v[i]), base))...)
			}
			out.appendEmpty()
		}
		return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
	}
}

// findInSetKernel: the 1-based position of str in a comma-separated list, 0 when absent or
// when str holds a comma.
func findInSetKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	text, lists := stringsOf(arrays[0]), stringsOf(arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		if !validity.valid(i) || bytes.IndexByte(text.at(i), ',') >= 0 {
			continue
		}
		for k, item := range bytes.Split(lists.at(i), []byte{','}) {
			if bytes.Equal(item, text.at(i)) {
				out[i] = int32(k + 1)
				break
			}
		}
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int32, n, buf, validity)), nil
}

// appendURLEncoded encodes as Java's URLEncoder with UTF-8 (Spark's url_encode): letters,
// digits and . - * _ stay, a space becomes +, every other byte %XX.
func appendURLEncoded(dst, s []byte) []byte {
	const digits = "0123456789ABCDEF"
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '*', c == '_':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', digits[c>>4], digits[c&15])
		}
	}
	return dst
}

// urlDecodeKernel decodes as Java's URLDecoder: + is a space, %XX a byte; a malformed escape
// is CANNOT_DECODE_URL.
func urlDecodeKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	in := stringsOf(arrays[0])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, len(in.data))
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			s, mark, bad := in.at(i), len(out.data), false
			for k := 0; k < len(s); k++ {
				switch s[k] {
				case '+':
					out.data = append(out.data, ' ')
				case '%':
					if k+2 >= len(s) {
						bad = true
						break
					}
					b, err := hex.DecodeString(string(s[k+1 : k+3]))
					if err != nil {
						bad = true
						break
					}
					out.data = append(out.data, b...)
					k += 2
				default:
					out.data = append(out.data, s[k])
				}
				if bad {
					break
				}
			}
			if bad {
				out.data = out.data[:mark]
				validity.release()
				return nil, errkind.Invalid("[CANNOT_DECODE_URL] The provided URL cannot be decoded: %s. Please ensure that the URL is properly formatted and try again", string(s))
			}
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
}

// sha2Kernel: bits 224, 256 (or 0), 384 or 512; null for other bit lengths.
func sha2Kernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	in, bits := stringsOf(arrays[0]), values[int32](arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, n*64)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			b := in.at(i)
			switch bits[i] {
			case 224:
				sum := sha256.Sum224(b)
				out.data = hex.AppendEncode(out.data, sum[:])
			case 0, 256:
				sum := sha256.Sum256(b)
				out.data = hex.AppendEncode(out.data, sum[:])
			case 384:
				sum := sha512.Sum384(b)
				out.data = hex.AppendEncode(out.data, sum[:])
			case 512:
				sum := sha512.Sum512(b)
				out.data = hex.AppendEncode(out.data, sum[:])
			default:
				validity.setNull(i)
			}
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
}

func crc32Kernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	in := stringsOf(arrays[0])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int64](ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			out[i] = int64(crc32.ChecksumIEEE(in.at(i)))
		}
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int64, n, buf, validity)), nil
}

// appendMimeBase64 encodes as Java's MIME encoder, which Spark 4's base64 uses: lines of 76
// characters separated by CRLF.
func appendMimeBase64(dst, b []byte) []byte {
	encoded := base64.StdEncoding.EncodeToString(b)
	for len(encoded) > 76 {
		dst = append(dst, encoded[:76]...)
		dst = append(dst, '\r', '\n')
		encoded = encoded[76:]
	}
	return append(dst, encoded...)
}

// mimeBase64Text keeps what Java's MIME decoder reads: the Base64 alphabet up to the first '='
// (other characters are skipped).
func mimeBase64Text(s []byte) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '=':
			return b.String()
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unbase64Kernel decodes Base64 as Java's MIME decoder (Spark's unbase64): characters outside
// the alphabet are skipped, padding is optional; a dangling last character is an error in ANSI
// mode.
func unbase64Kernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	in := stringsOf(arrays[0])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, len(in.data))
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			decoded, err := base64.RawStdEncoding.DecodeString(mimeBase64Text(in.at(i)))
			if err != nil {
				if call.Null {
					validity.setNull(i)
				} else {
					validity.release()
					return nil, errkind.Invalid("[CONVERSION_INVALID_INPUT] The value '%s' (STRING) cannot be converted to BINARY because it is malformed. Correct the value as per the syntax, or change its format. Use 'try_to_binary' to tolerate malformed input and return NULL instead", string(in.at(i)))
				}
			}
			out.data = append(out.data, decoded...)
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.Binary, validity)), nil
}

// unhexKernel decodes hex digits (an odd count gets a leading 0); null when malformed.
func unhexKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	in := stringsOf(arrays[0])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, len(in.data))
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			text := string(in.at(i))
			if len(text)%2 == 1 {
				text = "0" + text
			}
			decoded, err := hex.DecodeString(text)
			if err != nil {
				validity.setNull(i)
			} else {
				out.data = append(out.data, decoded...)
			}
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.Binary, validity)), nil
}
