import Foundation
import Testing
@testable import GridModel

@Suite struct GeoJSONDecodeTests {
    @Test func decodesCollection() throws {
        let text = """
            {"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},
             "features":[
              {"type":"Feature","id":"g-1","properties":{"name":"东华门社区","population":3200,"area":1.5,"ok":true,"tags":[1,"a"],"none":null},
               "geometry":{"type":"Polygon","coordinates":[[[116.3,39.9],[116.31,39.9],[116.31,39.91],[116.3,39.9]]]}},
              {"type":"Feature","id":7,"properties":null,"geometry":null},
              {"type":"Feature","geometry":{"type":"Point","coordinates":[116.3,39.9,45.5]}}
             ]}
            """
        let features = try GeoJSON.decodeFeatureCollection(Data(text.utf8))
        #expect(features.count == 3)
        #expect(features[0].id == .string("g-1"))
        #expect(features[0].properties["name"] == .string("东华门社区"))
        #expect(features[0].properties["population"]?.intValue == 3200)
        #expect(features[0].properties["ok"] == .bool(true))
        #expect(features[0].properties["none"] == .null)
        #expect(features[0].properties["tags"] == .array([.number(1), .string("a")]))
        #expect(features[0].geometry?.typeName == "Polygon")
        #expect(features[1].id == .number(7) && features[1].geometry == nil && features[1].properties.isEmpty)
        #expect(features[2].id == nil && features[2].geometry == .point(c(116.3, 39.9)))
    }

    @Test func loneFeatureIsACollectionOfOne() throws {
        let text = #"{"type":"Feature","id":"x","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}"#
        let features = try GeoJSON.decodeFeatureCollection(Data(text.utf8))
        #expect(features.count == 1 && features[0].geometry == .point(c(1, 2)))
    }

    @Test(arguments: [
        "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326",
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    ])
    func acceptedCRS(name: String) throws {
        let text = #"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"\#(name)"}},"features":[]}"#
        #expect(try GeoJSON.decodeFeatureCollection(Data(text.utf8)).isEmpty)
    }

    @Test func rejectedCRSNamesItAndWGS84() throws {
        let text = #"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},"features":[]}"#
        let e = try #require(collectionError(text))
        #expect(e.featureIndex == nil)
        #expect(e.message.contains("\"urn:ogc:def:crs:EPSG::3857\""))
        #expect(e.message.contains("GeoJSON must be WGS84 longitude/latitude"))
    }

    @Test func invalidUTF8IsRefusedNamingTheFeature() throws {
        var bytes = Array(#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"团结湖"},"geometry":null},"#.utf8)
        bytes += Array(#"{"type":"Feature","properties":{"name":"A"#.utf8) + [0xC3, 0x28] + Array(#""},"geometry":null}]}"#.utf8)
        #expect {
            _ = try GeoJSON.decodeFeatureCollection(Data(bytes))
        } throws: { error in
            guard let error = error as? GeoJSONError else { return false }
            return error.featureIndex == 1 && error.message.contains("invalid UTF-8 (byte 0xC3)") && error.message.contains("(in properties.name)")
                && error.message.contains("byte offset \(bytes.firstIndex(of: 0xC3)!)")
        }
        // Valid multi-byte text (3- and 4-byte sequences) passes.
        let valid = #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"社区 𠀀"},"geometry":null}]}"#
        #expect(try GeoJSON.decodeFeatureCollection(Data(valid.utf8)).first?.properties["name"] == .string("社区 𠀀"))
    }

    @Test func notJSONSaysWhere() throws {
        let e = try #require(collectionError("{\"type\": \"FeatureCollection\",\n \"features\": [}"))
        #expect(e.message == "not valid JSON at line 2, column 15 (byte offset 44): unexpected character '}'; expected a value")
        let truncated = try #require(collectionError(#"{"type":"FeatureCollection","features":["#))
        #expect(truncated.message.contains("unexpected end of input"))
        let trailing = try #require(collectionError(#"{"type":"FeatureCollection","features":[]} x"#))
        #expect(trailing.message.contains("after the end of the JSON value"))
        let empty = try #require(collectionError(""))
        #expect(empty.message.contains("empty"))
    }

    @Test(arguments: [
        (#"[1,2]"#, "must be a JSON object"),
        (#"{"features":[]}"#, #"missing top-level "type""#),
        (#"{"type":"Featurecollection","features":[]}"#, #"did you mean "FeatureCollection"?"#),
        (#"{"type":"Polygon","coordinates":[]}"#, "a bare geometry"),
        (#"{"type":"FeatureCollection"}"#, #"no "features" member"#),
        (#"{"type":"FeatureCollection","features":{}}"#, #""features" must be an array"#),
    ])
    func topLevelErrors(text: String, expected: String) throws {
        let e = try #require(collectionError(text))
        #expect(e.featureIndex == nil)
        #expect(e.message.contains(expected), "\(e)")
    }

    @Test func exampleDescription() throws {
        let e = try #require(collectionError(collection(geometry:
            #"{"type":"Polygon","coordinates":[[[116.3,39.9],[116.4,39.9],[116.4,40],[116.31,39.9]]]}"#)))
        #expect(e.featureIndex == 1 && e.featureID == "g-7")
        #expect(e.description == #"feature 1 (id "g-7"): polygon ring 0 is not closed (first position [116.3, 39.9] ≠ last [116.31, 39.9])"#)
    }

    @Test(arguments: [
        (#"{"type":"Circle","coordinates":[1,2]}"#, #"unknown geometry type "Circle""#),
        (#"{"type":"polygon","coordinates":[]}"#, #"did you mean "Polygon"?"#),
        (#"{"type":"GeometryCollection","geometries":[]}"#, "GeometryCollection is not supported"),
        (#"{"coordinates":[1,2]}"#, #"geometry has no "type""#),
        (#"{"type":"Point"}"#, #"Point has no "coordinates""#),
        (#"{"type":"Point","coordinates":[116.3]}"#, "position has 1 values; a position is 2 or 3 numbers"),
        (#"{"type":"Point","coordinates":[116.3,39.9,1,2]}"#, "position has 4 values"),
        (#"{"type":"Point","coordinates":[116.3,"39.9"]}"#, "position value 1 is a string, not a number"),
        (#"{"type":"MultiPoint","coordinates":[[1,2],3]}"#, "position 1 is not a position"),
        (#"{"type":"Point","coordinates":[NaN,39.9]}"#, "position value 0 is a non-finite number"),
        (#"{"type":"Point","coordinates":[116.3,1e999]}"#, "position value 1 is a non-finite number"),
        (#"{"type":"LineString","coordinates":[[116.3,39.9],[-Infinity,39.9]]}"#, "line string position 1 value 0 is a non-finite number"),
        (#"{"type":"Point","coordinates":[39.9,116.3]}"#, "position [39.9, 116.3] is outside WGS84 range; it looks like [latitude, longitude]; GeoJSON positions are [longitude, latitude]"),
        (#"{"type":"Polygon","coordinates":[[[12958000.5,4852000.25],[1,2],[3,4],[12958000.5,4852000.25]]]}"#, "polygon ring 0 position 0 [12958000.5, 4852000.25] is outside WGS84 range; values this large look like projected metres"),
        (#"{"type":"Point","coordinates":[200,100]}"#, "outside WGS84 range (longitude"),
        (#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#, "polygon ring 0 has fewer than 4 positions (3)"),
        (#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[1,0],[1,1],[0,0]],[[0,0],[1,0],[1,1],[0,1]]]]}"#, "polygon 1 ring 1 is not closed (first position [0, 0] ≠ last [0, 1])"),
        (#"{"type":"Polygon","coordinates":[]}"#, "polygon has no rings"),
        (#"{"type":"LineString","coordinates":[[1,2]]}"#, "line string has fewer than 2 positions (1)"),
        (#"{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[1,2]]]}"#, "line string 1 has fewer than 2 positions (1)"),
        (#"{"type":"Point","coordinates":[1,2],"crs":{"type":"name","properties":{"name":"EPSG:4490"}}}"#, #""crs" is "EPSG:4490""#),
        (#""nope""#, #""geometry" must be an object or null, not a string"#),
    ])
    func featureErrorsNameIndexAndProblem(geometry: String, expected: String) throws {
        let e = try #require(collectionError(collection(geometry: geometry)))
        #expect(e.featureIndex == 1)
        #expect(e.message.contains(expected), "\(e)")
        #expect(e.description.hasPrefix(#"feature 1 (id "g-7"): "#))
    }

    @Test(arguments: [
        (#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{}}]}"#, #"missing "geometry" member"#),
        (#"{"type":"FeatureCollection","features":[{"properties":{},"geometry":null}]}"#, #"missing "type": "Feature""#),
        (#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":[]}]}"#, #""properties" must be an object or null"#),
        (#"{"type":"FeatureCollection","features":[{"type":"Feature","id":{},"geometry":null}]}"#, #""id" must be a string or a number"#),
        (#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"v":NaN}}]}"#, #"property "v" contains a non-finite number"#),
        (#"{"type":"FeatureCollection","features":[3]}"#, "expected a Feature object, got a number"),
    ])
    func featureMemberErrors(text: String, expected: String) throws {
        let e = try #require(collectionError(text))
        #expect(e.featureIndex == 0)
        #expect(e.message.contains(expected), "\(e)")
    }

    @Test func numericIDInDescription() throws {
        let e = try #require(collectionError(collection(geometry: #"{"type":"Point","coordinates":[1]}"#, id: "42")))
        #expect(e.featureID == "42")
        #expect(e.description.hasPrefix(#"feature 1 (id "42"): "#))
    }

    @Test func bareGeometry() throws {
        let g = try GeoJSON.decodeGeometry(Data(#"{"type":"LineString","coordinates":[[1,2],[3,4.5]]}"#.utf8))
        #expect(g == .lineString(try LineString([c(1, 2), c(3, 4.5)])))
        #expect(throws: GeoJSONError(message: "expected a geometry object, got null")) {
            try GeoJSON.decodeGeometry(Data("null".utf8))
        }
        #expect(throws: GeoJSONError(message: "GeometryCollection is not supported")) {
            try GeoJSON.decodeGeometry(Data(#"{"type":"GeometryCollection","geometries":[]}"#.utf8))
        }
    }

    @Test func stringEscapes() throws {
        let text = #"{"type":"Feature","geometry":null,"properties":{"s":"a\"b\\c\/d\n\u00e9\ud83d\ude00\u4e2d"}}"#
        let f = try GeoJSON.decodeFeatureCollection(Data(text.utf8))
        #expect(f[0].properties["s"] == .string("a\"b\\c/d\né😀中"))
    }

    @Test func numbersParseExactly() throws {
        let values = ["116.3912345", "-0.0000001", "1e-8", "39.99999995", "12345678901234567890", "0.1", "-0", "5e-324", "1.7976931348623157e308", "116.39123456789012"]
        let text = "[" + values.joined(separator: ",") + "]"
        guard case .success(let r) = JSONParser.parse(Data(text.utf8)), case .array(let parsed) = r.value else {
            Issue.record("parse failed"); return
        }
        for (v, p) in zip(values, parsed) { #expect(p == .number(Double(v)!), "\(v)") }
    }
}
