import Foundation
import Testing
@testable import GridModel

@Suite struct JSONValueTests {
    @Test func accessors() {
        #expect(JSONValue.string("abc").stringValue == "abc")
        #expect(JSONValue.number(42).stringValue == "42")
        #expect(JSONValue.number(-3.25).stringValue == "-3.25")
        #expect(JSONValue.bool(true).stringValue == nil)
        #expect(JSONValue.number(2.5).doubleValue == 2.5)
        #expect(JSONValue.string(" 2.5 ").doubleValue == 2.5)
        #expect(JSONValue.string("abc").doubleValue == nil)
        #expect(JSONValue.string("nan").doubleValue == nil)
        #expect(JSONValue.string("0x10").doubleValue == nil)
        #expect(JSONValue.number(7).intValue == 7)
        #expect(JSONValue.number(7.5).intValue == nil)
        #expect(JSONValue.number(1e30).intValue == nil)
        #expect(JSONValue.string("12").intValue == 12)
        #expect(JSONValue.string("12.0").intValue == 12)
        #expect(JSONValue.string("12.5").intValue == nil)
        #expect(JSONValue.null.intValue == nil)
        let o: JSONValue = ["k": [1, "two"]]
        #expect(o["k"]?.arrayValue?.count == 2)
        #expect(o["missing"] == nil)
    }

    @Test func codableRoundTrip() throws {
        let value: JSONValue = ["s": "文字", "n": 1.25, "i": 3, "b": false, "z": nil, "a": [1, ["x": true]]]
        let data = try JSONEncoder().encode(value)
        let back = try JSONDecoder().decode(JSONValue.self, from: data)
        #expect(back == value)
        // Booleans stay booleans, not 0/1.
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data("[true,1]".utf8)) == [true, 1])
    }
}
