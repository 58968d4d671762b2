package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// xsdElement is what a flat XML Schema (every element declared at the top
// level, children by ref) says about one element.
type xsdElement struct {
	attrs    map[string]xsdAttr
	children map[string][2]int // ref → minOccurs, maxOccurs (-1: unbounded)
	order    []string
	mixed    bool
}

type xsdAttr struct {
	typ      string
	required bool
}

// loadXSD reads the subset of XML Schema that testdata/junit.xsd uses:
// top-level xs:element with an xs:complexType holding an xs:sequence of
// element refs and xs:attribute declarations. Anything else in the schema
// fails the load, so the validator never silently ignores a rule.
func loadXSD(t *testing.T, path string) map[string]*xsdElement {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	schema := map[string]*xsdElement{}
	var cur *xsdElement
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return schema
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			a := map[string]string{}
			for _, at := range el.Attr {
				a[at.Name.Local] = at.Value
			}
			switch {
			case el.Name.Local == "schema":
			case el.Name.Local == "element" && depth == 2:
				cur = &xsdElement{attrs: map[string]xsdAttr{}, children: map[string][2]int{}}
				schema[a["name"]] = cur
			case el.Name.Local == "complexType":
				cur.mixed = a["mixed"] == "true"
			case el.Name.Local == "sequence":
			case el.Name.Local == "element" && a["ref"] != "":
				lo, hi := 1, 1
				if v, ok := a["minOccurs"]; ok {
					lo, _ = strconv.Atoi(v)
				}
				if v, ok := a["maxOccurs"]; ok {
					if v == "unbounded" {
						hi = -1
					} else {
						hi, _ = strconv.Atoi(v)
					}
				}
				cur.children[a["ref"]] = [2]int{lo, hi}
				cur.order = append(cur.order, a["ref"])
			case el.Name.Local == "attribute":
				cur.attrs[a["name"]] = xsdAttr{typ: a["type"], required: a["use"] == "required"}
			default:
				t.Fatalf("%s: the test's validator does not know <xs:%s>", path, el.Name.Local)
			}
		case xml.EndElement:
			depth--
		}
	}
}

// validateXML checks a document against the schema: known elements in
// allowed places and order, occurrence bounds, attributes known, required
// and of their type, text only where the type is mixed.
func validateXML(schema map[string]*xsdElement, doc string) error {
	dec := xml.NewDecoder(strings.NewReader(doc))
	type frame struct {
		name   string
		counts map[string]int
		last   int // index in order of the last child seen
	}
	var stack []*frame
	rootSeen := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if !rootSeen {
				return fmt.Errorf("no root element")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			name := el.Name.Local
			def, ok := schema[name]
			if !ok {
				return fmt.Errorf("element <%s> is not in the schema", name)
			}
			if len(stack) == 0 {
				if rootSeen || name != "testsuites" && name != "testsuite" {
					return fmt.Errorf("root element <%s>", name)
				}
				rootSeen = true
			} else {
				p := stack[len(stack)-1]
				pdef := schema[p.name]
				bounds, ok := pdef.children[name]
				if !ok {
					return fmt.Errorf("<%s> may not contain <%s>", p.name, name)
				}
				idx := indexOf(pdef.order, name)
				if idx < p.last {
					return fmt.Errorf("<%s> comes after a later element in <%s>", name, p.name)
				}
				p.last = idx
				p.counts[name]++
				if bounds[1] >= 0 && p.counts[name] > bounds[1] {
					return fmt.Errorf("<%s> holds more than %d <%s>", p.name, bounds[1], name)
				}
			}
			seen := map[string]bool{}
			for _, at := range el.Attr {
				ad, ok := def.attrs[at.Name.Local]
				if !ok {
					return fmt.Errorf("<%s> has unknown attribute %q", name, at.Name.Local)
				}
				if err := checkType(ad.typ, at.Value); err != nil {
					return fmt.Errorf("<%s %s=%q>: %v", name, at.Name.Local, at.Value, err)
				}
				seen[at.Name.Local] = true
			}
			for an, ad := range def.attrs {
				if ad.required && !seen[an] {
					return fmt.Errorf("<%s> lacks required attribute %q", name, an)
				}
			}
			stack = append(stack, &frame{name: name, counts: map[string]int{}})
		case xml.EndElement:
			f := stack[len(stack)-1]
			for child, b := range schema[f.name].children {
				if f.counts[child] < b[0] {
					return fmt.Errorf("<%s> needs at least %d <%s>", f.name, b[0], child)
				}
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && strings.TrimSpace(string(el)) != "" && !schema[stack[len(stack)-1].name].mixed {
				return fmt.Errorf("<%s> may not hold text", stack[len(stack)-1].name)
			}
		}
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func checkType(typ, v string) error {
	switch typ {
	case "xs:string":
		return nil
	case "xs:nonNegativeInteger":
		if n, err := strconv.ParseUint(v, 10, 64); err != nil || n > math.MaxInt64 {
			return fmt.Errorf("not a non-negative integer")
		}
	case "xs:decimal":
		if _, err := strconv.ParseFloat(v, 64); err != nil || strings.ContainsAny(v, "eE") {
			return fmt.Errorf("not a decimal")
		}
	default:
		return fmt.Errorf("type %s unknown to the test's validator", typ)
	}
	return nil
}

// The validator itself must reject what the schema forbids.
func TestXSDValidatorRejectsInvalidDocuments(t *testing.T) {
	schema := loadXSD(t, "testdata/junit.xsd")
	for _, bad := range []string{
		`<testsuites><testsuite name="a" tests="1"><testcase name="x"/></testsuite></testsuites>`,                                                // classname missing
		`<testsuites><testsuite name="a" tests="-1"></testsuite></testsuites>`,                                                                   // negative count
		`<testsuites><testsuite name="a" tests="1"><testcase name="x" classname="y" time="1e3"/></testsuite></testsuites>`,                       // exponent
		`<testsuites><testcase name="x" classname="y"/></testsuites>`,                                                                            // testcase outside a suite
		`<testsuites><testsuite name="a" tests="1"><testcase name="x" classname="y"><system-out/><failure/></testcase></testsuite></testsuites>`, // order
		`<testsuites><testsuite name="a" tests="1" colour="red"/></testsuites>`,                                                                  // unknown attribute
		`<testsuites>text<testsuite name="a" tests="0"/></testsuites>`,                                                                           // text where none is allowed
	} {
		if err := validateXML(schema, bad); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	good := `<testsuites><testsuite name="a" tests="1"><testcase name="x" classname="y" time="0.5"><failure message="m">why</failure><system-out>n</system-out></testcase></testsuite></testsuites>`
	if err := validateXML(schema, good); err != nil {
		t.Errorf("rejected a valid document: %v", err)
	}
}
