package awssim

import (
	"encoding/json"
	"math/big"
	"slices"
	"strings"
	"unicode"
)

// DynamoDB expressions, the subset the state table uses: conditions
// (comparisons = <> < <= > >=, BETWEEN, IN, attribute_exists,
// attribute_not_exists, begins_with, contains, AND, OR, NOT, parentheses)
// and update expressions (SET path = operand [+|- operand], operands being
// values, paths or if_not_exists(path, value); REMOVE path). Paths are
// top-level attribute names, given as #placeholders or plain names.

type exprParser struct {
	names     map[string]string
	values    map[string]json.RawMessage
	usedNames map[string]bool
	usedVals  map[string]bool
	// per expression
	toks []token
	pos  int
	what string
}

func newExprParser(names map[string]string, values map[string]json.RawMessage) *exprParser {
	return &exprParser{names: names, values: values, usedNames: map[string]bool{}, usedVals: map[string]bool{}}
}

// checkUnused refuses placeholders no expression used, as DynamoDB does.
func (p *exprParser) checkUnused() *apiError {
	var names, vals []string
	for k := range p.names {
		if !p.usedNames[k] {
			names = append(names, k)
		}
	}
	for k := range p.values {
		if !p.usedVals[k] {
			vals = append(vals, k)
		}
	}
	slices.Sort(names)
	slices.Sort(vals)
	switch {
	case len(names) > 0:
		return ddbValidation("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(names, ", "))
	case len(vals) > 0:
		return ddbValidation("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(vals, ", "))
	}
	return nil
}

type token struct {
	kind string // "name", "#", ":", "op", "(", ")", ","
	text string
}

func (p *exprParser) lex(s string) *apiError {
	p.toks, p.pos = nil, 0
	for i := 0; i < len(s); {
		r := rune(s[i])
		switch {
		case unicode.IsSpace(r):
			i++
		case strings.ContainsRune("(),", r):
			p.toks = append(p.toks, token{kind: string(r), text: string(r)})
			i++
		case r == '+' || r == '-' || r == '=':
			p.toks = append(p.toks, token{kind: "op", text: string(r)})
			i++
		case r == '<' || r == '>':
			op := string(r)
			if i+1 < len(s) && (s[i+1] == '=' || (r == '<' && s[i+1] == '>')) {
				op += string(s[i+1])
			}
			p.toks = append(p.toks, token{kind: "op", text: op})
			i += len(op)
		case r == '#' || r == ':' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			j := i + 1
			for j < len(s) && (s[j] == '_' || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			kind := "name"
			if r == '#' || r == ':' {
				kind = string(r)
				if j == i+1 {
					return p.syntax("a placeholder without a name")
				}
			}
			p.toks = append(p.toks, token{kind: kind, text: s[i:j]})
			i = j
		case r == '.' || r == '[':
			return ddbValidation("Invalid %s: awssim supports top-level attribute names only", p.what)
		default:
			return p.syntax("token: \"" + string(r) + "\"")
		}
	}
	return nil
}

func (p *exprParser) syntax(what string) *apiError {
	return ddbValidation("Invalid %s: Syntax error; %s", p.what, what)
}

func (p *exprParser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{kind: "end"}
}

func (p *exprParser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *exprParser) keyword(word string) bool {
	if t := p.peek(); t.kind == "name" && strings.EqualFold(t.text, word) {
		p.pos++
		return true
	}
	return false
}

func (p *exprParser) expect(kind string) *apiError {
	if t := p.next(); t.kind != kind {
		return p.syntax("token: \"" + t.text + "\", expected " + kind)
	}
	return nil
}

// operand is a path (an attribute name) or a value.
type operand struct {
	path  string
	value json.RawMessage
	// update expressions: if_not_exists(path, value), a + b, a - b
	fn    string
	sub   []operand
	arith string
	val   bool // a value, not a path
}

func (o operand) isValue() bool { return o.val }

var exprKeywords = map[string]bool{"and": true, "or": true, "not": true, "between": true, "in": true,
	"set": true, "remove": true, "add": true, "delete": true, "size": true}

func (p *exprParser) operand() (operand, *apiError) {
	t := p.next()
	switch t.kind {
	case "#":
		name, ok := p.names[t.text]
		if !ok {
			return operand{}, ddbValidation("Invalid %s: An expression attribute name used in the document path is not defined; attribute name: %s", p.what, t.text)
		}
		p.usedNames[t.text] = true
		return operand{path: name}, nil
	case ":":
		v, ok := p.values[t.text]
		if !ok {
			return operand{}, ddbValidation("Invalid %s: An expression attribute value used in expression is not defined; attribute value: %s", p.what, t.text)
		}
		if aerr := checkValue(v); aerr != nil {
			return operand{}, aerr
		}
		p.usedVals[t.text] = true
		return operand{value: v, val: true}, nil
	case "name":
		if exprKeywords[strings.ToLower(t.text)] {
			return operand{}, p.syntax("token: \"" + t.text + "\"")
		}
		return operand{path: t.text}, nil
	}
	return operand{}, p.syntax("token: \"" + t.text + "\", expected an operand")
}

// --- conditions ----------------------------------------------------------------

type condNode struct {
	op   string // and, or, not, cmp, between, in, fn
	kids []*condNode
	cmp  string // =, <>, <, <=, >, >=
	fn   string
	args []operand
}

func (p *exprParser) parseCondition(s, what string) (*condNode, *apiError) {
	p.what = what
	if aerr := p.lex(s); aerr != nil {
		return nil, aerr
	}
	n, aerr := p.or()
	if aerr != nil {
		return nil, aerr
	}
	if t := p.peek(); t.kind != "end" {
		return nil, p.syntax("token: \"" + t.text + "\"")
	}
	return n, nil
}

func (p *exprParser) or() (*condNode, *apiError) {
	left, aerr := p.and()
	for aerr == nil && p.keyword("OR") {
		var right *condNode
		if right, aerr = p.and(); aerr == nil {
			left = &condNode{op: "or", kids: []*condNode{left, right}}
		}
	}
	return left, aerr
}

func (p *exprParser) and() (*condNode, *apiError) {
	left, aerr := p.not()
	for aerr == nil && p.keyword("AND") {
		var right *condNode
		if right, aerr = p.not(); aerr == nil {
			if left.op == "and" {
				left.kids = append(left.kids, right)
			} else {
				left = &condNode{op: "and", kids: []*condNode{left, right}}
			}
		}
	}
	return left, aerr
}

func (p *exprParser) not() (*condNode, *apiError) {
	if p.keyword("NOT") {
		n, aerr := p.not()
		if aerr != nil {
			return nil, aerr
		}
		return &condNode{op: "not", kids: []*condNode{n}}, nil
	}
	return p.primary()
}

var condFuncs = map[string]int{"attribute_exists": 1, "attribute_not_exists": 1, "begins_with": 2, "contains": 2}

func (p *exprParser) primary() (*condNode, *apiError) {
	t := p.peek()
	if t.kind == "(" {
		p.next()
		n, aerr := p.or()
		if aerr != nil {
			return nil, aerr
		}
		if aerr := p.expect(")"); aerr != nil {
			return nil, aerr
		}
		return n, nil
	}
	if arity, ok := condFuncs[t.text]; ok && t.kind == "name" {
		p.next()
		if aerr := p.expect("("); aerr != nil {
			return nil, aerr
		}
		n := &condNode{op: "fn", fn: t.text}
		for i := range arity {
			if i > 0 {
				if aerr := p.expect(","); aerr != nil {
					return nil, aerr
				}
			}
			o, aerr := p.operand()
			if aerr != nil {
				return nil, aerr
			}
			if i == 0 && o.isValue() {
				return nil, ddbValidation("Invalid %s: Incorrect operand type for operator or function; operator or function: %s, operand type: %s", p.what, t.text, "value")
			}
			n.args = append(n.args, o)
		}
		if aerr := p.expect(")"); aerr != nil {
			return nil, aerr
		}
		return n, nil
	}
	left, aerr := p.operand()
	if aerr != nil {
		return nil, aerr
	}
	if p.keyword("BETWEEN") {
		lo, aerr := p.operand()
		if aerr != nil {
			return nil, aerr
		}
		if !p.keyword("AND") {
			return nil, p.syntax("BETWEEN without AND")
		}
		hi, aerr := p.operand()
		if aerr != nil {
			return nil, aerr
		}
		return &condNode{op: "between", args: []operand{left, lo, hi}}, nil
	}
	if p.keyword("IN") {
		if aerr := p.expect("("); aerr != nil {
			return nil, aerr
		}
		n := &condNode{op: "in", args: []operand{left}}
		for {
			o, aerr := p.operand()
			if aerr != nil {
				return nil, aerr
			}
			n.args = append(n.args, o)
			if p.peek().kind != "," {
				break
			}
			p.next()
		}
		if aerr := p.expect(")"); aerr != nil {
			return nil, aerr
		}
		return n, nil
	}
	op := p.next()
	if op.kind != "op" || op.text == "+" || op.text == "-" {
		return nil, p.syntax("token: \"" + op.text + "\", expected a comparator")
	}
	right, aerr := p.operand()
	if aerr != nil {
		return nil, aerr
	}
	return &condNode{op: "cmp", cmp: op.text, args: []operand{left, right}}, nil
}

// keyAttr is the attribute a key-condition part is about ("" if none).
func (n *condNode) keyAttr() string {
	if len(n.args) == 0 || n.args[0].isValue() {
		return ""
	}
	for _, a := range n.args[1:] {
		if !a.isValue() {
			return ""
		}
	}
	return n.args[0].path
}

// keyConditionOp reports whether n may be a sort-key condition.
func (n *condNode) keyConditionOp() bool {
	switch n.op {
	case "cmp":
		return n.cmp != "<>"
	case "between":
		return true
	case "fn":
		return n.fn == "begins_with"
	}
	return false
}

func (o operand) resolve(item ddbItem) json.RawMessage {
	if o.isValue() {
		return o.value
	}
	if item == nil {
		return nil
	}
	return item[o.path]
}

// eval evaluates the condition on item (nil: no item).
func (n *condNode) eval(item ddbItem) bool {
	switch n.op {
	case "and":
		for _, k := range n.kids {
			if !k.eval(item) {
				return false
			}
		}
		return true
	case "or":
		for _, k := range n.kids {
			if k.eval(item) {
				return true
			}
		}
		return false
	case "not":
		return !n.kids[0].eval(item)
	case "cmp":
		a, b := n.args[0].resolve(item), n.args[1].resolve(item)
		if n.cmp == "<>" {
			return a == nil || b == nil || !equalAV(a, b)
		}
		if a == nil || b == nil {
			return false
		}
		if n.cmp == "=" {
			return equalAV(a, b)
		}
		c, ok := compareAV(a, b)
		if !ok {
			return false
		}
		switch n.cmp {
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		}
		return c >= 0
	case "between":
		v, lo, hi := n.args[0].resolve(item), n.args[1].resolve(item), n.args[2].resolve(item)
		c1, ok1 := compareAV(v, lo)
		c2, ok2 := compareAV(v, hi)
		return v != nil && ok1 && ok2 && c1 >= 0 && c2 <= 0
	case "in":
		v := n.args[0].resolve(item)
		for _, o := range n.args[1:] {
			if v != nil && equalAV(v, o.resolve(item)) {
				return true
			}
		}
		return false
	case "fn":
		v := n.args[0].resolve(item)
		switch n.fn {
		case "attribute_exists":
			return v != nil
		case "attribute_not_exists":
			return v == nil
		case "begins_with":
			tv, sv := stringOf(v)
			tp, sp := stringOf(n.args[1].resolve(item))
			return v != nil && (tv == "S" || tv == "B") && tv == tp && strings.HasPrefix(sv, sp)
		case "contains":
			return contains(v, n.args[1].resolve(item))
		}
	}
	return false
}

func contains(v, x json.RawMessage) bool {
	if v == nil || x == nil {
		return false
	}
	t, raw, aerr := avType(v)
	if aerr != nil {
		return false
	}
	switch t {
	case "S":
		tx, sx := stringOf(x)
		_, sv := stringOf(v)
		return tx == "S" && strings.Contains(sv, sx)
	case "SS", "NS", "BS":
		var set []string
		json.Unmarshal(raw, &set)
		want := map[string]string{"SS": "S", "NS": "N", "BS": "B"}[t]
		for _, e := range set {
			elem, _ := json.Marshal(map[string]string{want: e})
			if equalAV(elem, x) {
				return true
			}
		}
	case "L":
		var l []json.RawMessage
		json.Unmarshal(raw, &l)
		for _, e := range l {
			if equalAV(e, x) {
				return true
			}
		}
	}
	return false
}

// --- update expressions ----------------------------------------------------------

type updateExpr struct {
	sets    []setAction
	removes []string
}

type setAction struct {
	path  string
	value operand
}

func (u *updateExpr) paths() []string {
	out := slices.Clone(u.removes)
	for _, s := range u.sets {
		out = append(out, s.path)
	}
	return out
}

func (p *exprParser) parseUpdate(s string) (*updateExpr, *apiError) {
	p.what = "UpdateExpression"
	if aerr := p.lex(s); aerr != nil {
		return nil, aerr
	}
	u := &updateExpr{}
	seenClause := map[string]bool{}
	seenPath := map[string]bool{}
	for p.peek().kind != "end" {
		t := p.next()
		clause := strings.ToUpper(t.text)
		if t.kind != "name" || (clause != "SET" && clause != "REMOVE" && clause != "ADD" && clause != "DELETE") {
			return nil, p.syntax("token: \"" + t.text + "\", expected SET or REMOVE")
		}
		if clause == "ADD" || clause == "DELETE" {
			return nil, ddbValidation("Invalid UpdateExpression: awssim supports SET and REMOVE only")
		}
		if seenClause[clause] {
			return nil, ddbValidation("Invalid UpdateExpression: The \"%s\" section can only be used once in an update expression;", clause)
		}
		seenClause[clause] = true
		for {
			target, aerr := p.operand()
			if aerr != nil {
				return nil, aerr
			}
			if target.isValue() {
				return nil, p.syntax("a value where an attribute was expected")
			}
			if seenPath[target.path] {
				return nil, ddbValidation("Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [%s], path two: [%s]", target.path, target.path)
			}
			seenPath[target.path] = true
			if clause == "REMOVE" {
				u.removes = append(u.removes, target.path)
			} else {
				if t := p.next(); t.kind != "op" || t.text != "=" {
					return nil, p.syntax("token: \"" + t.text + "\", expected =")
				}
				v, aerr := p.setValue()
				if aerr != nil {
					return nil, aerr
				}
				u.sets = append(u.sets, setAction{path: target.path, value: v})
			}
			if p.peek().kind != "," {
				break
			}
			p.next()
		}
	}
	if len(u.sets)+len(u.removes) == 0 {
		return nil, ddbValidation("Invalid UpdateExpression: The expression can not be empty;")
	}
	return u, nil
}

func (p *exprParser) setValue() (operand, *apiError) {
	first, aerr := p.setTerm()
	if aerr != nil {
		return operand{}, aerr
	}
	if t := p.peek(); t.kind == "op" && (t.text == "+" || t.text == "-") {
		p.next()
		second, aerr := p.setTerm()
		if aerr != nil {
			return operand{}, aerr
		}
		return operand{arith: t.text, sub: []operand{first, second}}, nil
	}
	return first, nil
}

func (p *exprParser) setTerm() (operand, *apiError) {
	if t := p.peek(); t.kind == "name" && t.text == "if_not_exists" {
		p.next()
		if aerr := p.expect("("); aerr != nil {
			return operand{}, aerr
		}
		path, aerr := p.operand()
		if aerr != nil {
			return operand{}, aerr
		}
		if aerr := p.expect(","); aerr != nil {
			return operand{}, aerr
		}
		dflt, aerr := p.operand()
		if aerr != nil {
			return operand{}, aerr
		}
		if aerr := p.expect(")"); aerr != nil {
			return operand{}, aerr
		}
		return operand{fn: "if_not_exists", sub: []operand{path, dflt}}, nil
	}
	return p.operand()
}

// value computes a SET operand against the item before the update.
func (o operand) valueIn(old ddbItem) (json.RawMessage, *apiError) {
	switch {
	case o.fn == "if_not_exists":
		if v := o.sub[0].resolve(old); v != nil {
			return v, nil
		}
		return o.sub[1].valueIn(old)
	case o.arith != "":
		a, aerr := o.sub[0].valueIn(old)
		if aerr != nil {
			return nil, aerr
		}
		b, aerr := o.sub[1].valueIn(old)
		if aerr != nil {
			return nil, aerr
		}
		ta, sa := stringOf(a)
		tb, sb := stringOf(b)
		if a == nil || b == nil {
			return nil, ddbValidation("The provided expression refers to an attribute that does not exist in the item")
		}
		if ta != "N" || tb != "N" {
			return nil, ddbValidation("An operand in the update expression has an incorrect data type")
		}
		x, _ := new(big.Rat).SetString(sa)
		y, _ := new(big.Rat).SetString(sb)
		if o.arith == "+" {
			x.Add(x, y)
		} else {
			x.Sub(x, y)
		}
		s := x.RatString()
		if !x.IsInt() {
			s = x.FloatString(20)
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		out, _ := json.Marshal(map[string]string{"N": s})
		return out, nil
	}
	v := o.resolve(old)
	if v == nil {
		return nil, ddbValidation("The provided expression refers to an attribute that does not exist in the item")
	}
	return v, nil
}

func (u *updateExpr) apply(old, next ddbItem) *apiError {
	for _, s := range u.sets {
		v, aerr := s.value.valueIn(old)
		if aerr != nil {
			return aerr
		}
		next[s.path] = v
	}
	for _, r := range u.removes {
		delete(next, r)
	}
	return nil
}
