package analyzer

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// More string and binary functions: left, right, btrim, chr/char, substring_index, split_part,
// levenshtein, regexp_count/substr/instr/extract_all, find_in_set, url_encode/decode, bin, base64/unbase64, hex/unhex, md5,
// sha1/sha, sha2, crc32. Kernels: exec/kernels_string_more.go, exec/kernels_regexp_more.go.

func init() {
	stringFunctions["btrim"] = stringFunction{kernel: "trim", args: []argKind{argString, argString}, optional: 1, result: stringType}
	stringFunctions["left"] = stringFunction{kernel: "left", args: []argKind{argString, argInt}, result: stringType}
	stringFunctions["right"] = stringFunction{kernel: "right", args: []argKind{argString, argInt}, result: stringType}
	stringFunctions["substring_index"] = stringFunction{kernel: "substring_index", args: []argKind{argString, argString, argInt}, result: stringType}
	stringFunctions["split_part"] = stringFunction{kernel: "split_part", args: []argKind{argString, argString, argInt}, result: stringType}
	stringFunctions["levenshtein"] = stringFunction{kernel: "levenshtein", args: []argKind{argString, argString, argInt}, optional: 1, result: int32Type}
	stringFunctions["regexp_count"] = stringFunction{kernel: "regexp_count", args: []argKind{argString, argString}, result: int32Type}
	stringFunctions["regexp_substr"] = stringFunction{kernel: "regexp_substr", args: []argKind{argString, argString}, result: stringType}
	stringFunctions["regexp_instr"] = stringFunction{kernel: "regexp_instr", args: []argKind{argString, argString, argInt}, optional: 1, result: int32Type,
		defaults: []logical.Expr{int32Literal(0)}}
	stringFunctions["regexp_extract_all"] = stringFunction{kernel: "regexp_extract_all", args: []argKind{argString, argString, argInt}, optional: 1,
		result: arrow.ListOf(stringType), defaults: []logical.Expr{int32Literal(1)}}
	stringFunctions["find_in_set"] = stringFunction{kernel: "find_in_set", args: []argKind{argString, argString}, result: int32Type}
	stringFunctions["url_encode"] = stringFunction{kernel: "url_encode", args: []argKind{argString}, result: stringType}
	stringFunctions["url_decode"] = stringFunction{kernel: "url_decode", args: []argKind{argString}, result: stringType}
	for _, name := range []string{"btrim", "left", "right", "substring_index", "split_part", "levenshtein", "regexp_count", "regexp_substr", "regexp_instr", "regexp_extract_all",
		"find_in_set", "url_encode", "url_decode"} {
		registerFunction(resolveStringFunction, name)
	}
	registerFunction(resolveChr, "chr", "char")
	registerFunction(resolveBinaryFunction, "base64", "unbase64", "md5", "sha1", "sha", "sha2", "crc32", "unhex")
	registerFunction(resolveHex, "hex", "bin")
}

var binaryType = arrow.BinaryTypes.Binary

func resolveChr(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	t := args[0].DataType()
	if !isIntegral(t) && !isString(t) && t.ID() != arrow.NULL {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs an integer, but '%s' is %s", name, args[0].String(), logical.SparkTypeName(t))
	}
	x, err := a.coerceTo(args[0], arrow.PrimitiveTypes.Int64)
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "chr", Args: []logical.Expr{x}, Type: stringType, Null: args[0].Nullable(), Display: display(name, args)}, nil
}

// binaryArgument casts a string to binary (its UTF-8 bytes) and keeps binary.
func (a *Analyzer) binaryArgument(name string, x logical.Expr) (logical.Expr, error) {
	t := x.DataType()
	switch {
	case t.ID() == arrow.BINARY:
		return x, nil
	case isString(t) || t.ID() == arrow.NULL:
		return a.coerceTo(x, binaryType)
	}
	return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs a binary or string value, but '%s' is %s", name, x.String(), logical.SparkTypeName(t))
}

func resolveBinaryFunction(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	maxArgs := 1
	if name == "sha2" {
		maxArgs = 2
	}
	if err := checkArity(name, args, maxArgs, maxArgs); err != nil {
		return nil, err
	}
	kernel := name
	var x logical.Expr
	var err error
	var result arrow.DataType = stringType
	switch name {
	case "unbase64", "unhex":
		x, err = a.coerceArg(name, args[0], argString)
		result = binaryType
	default:
		x, err = a.binaryArgument(name, args[0])
	}
	if err != nil {
		return nil, err
	}
	operands := []logical.Expr{x}
	switch name {
	case "sha":
		kernel = "sha1"
	case "crc32":
		result = arrow.PrimitiveTypes.Int64
	case "sha2":
		bits, err := a.coerceArg(name, args[1], argInt)
		if err != nil {
			return nil, err
		}
		operands = append(operands, bits)
	}
	null := anyNullable(args) || name == "sha2" || name == "unhex" || (name == "unbase64" && !a.Config.ANSI)
	return &logical.Call{Function: kernel, Args: operands, Type: result, Null: null, Display: display(name, args)}, nil
}

// resolveHex: hex of a string or binary is its bytes; of an integer, its two's complement.
func resolveHex(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	t := args[0].DataType()
	if isIntegral(t) || name == "bin" {
		if name == "bin" && !isIntegral(t) && t.ID() != arrow.NULL && !isString(t) {
			return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] bin needs an integer, but '%s' is %s", args[0].String(), logical.SparkTypeName(t))
		}
		x, err := a.coerceTo(args[0], arrow.PrimitiveTypes.Int64)
		if err != nil {
			return nil, err
		}
		return &logical.Call{Function: name + "_integer", Args: []logical.Expr{x}, Type: stringType, Null: args[0].Nullable(), Display: display(name, args)}, nil
	}
	x, err := a.binaryArgument(name, args[0])
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "hex", Args: []logical.Expr{x}, Type: stringType, Null: args[0].Nullable(), Display: display(name, args)}, nil
}
