import Foundation
@testable import GridModel
// The helpers every test target shares (SharedData, TemporaryDirectory, Python), in every file here.
@_exported import TestSupport

func c(_ lon: Double, _ lat: Double) -> Coordinate { Coordinate(longitude: lon, latitude: lat) }

/// A closed ring from corner positions (first not repeated).
func ring(_ points: [(Double, Double)]) -> LinearRing {
    let cs = points.map { c($0.0, $0.1) }
    return try! LinearRing(cs + [cs[0]])
}

func rectangle(_ minLon: Double, _ minLat: Double, _ maxLon: Double, _ maxLat: Double) -> LinearRing {
    ring([(minLon, minLat), (maxLon, minLat), (maxLon, maxLat), (minLon, maxLat)])
}

func hexBytes(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var i = hex.startIndex
    while i < hex.endIndex {
        let j = hex.index(i, offsetBy: 2)
        bytes.append(UInt8(hex[i..<j], radix: 16)!)
        i = j
    }
    return bytes
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16, uppercase: true).count == 1 ? "0" + String($0, radix: 16, uppercase: true) : String($0, radix: 16, uppercase: true) }.joined()
}

/// Decodes and returns the error, or nil when decoding succeeded.
func collectionError(_ text: String) -> GeoJSONError? {
    do {
        _ = try GeoJSON.decodeFeatureCollection(Data(text.utf8))
        return nil
    } catch {
        return error
    }
}

/// A FeatureCollection of one feature with the given geometry JSON.
func collection(geometry: String, id: String = #""g-7""#) -> String {
    #"{"type":"FeatureCollection","features":[{"type":"Feature","id":\#(id),"properties":{},"geometry":{"type":"Point","coordinates":[116.3,39.9]}},"# +
        #"{"type":"Feature","id":\#(id),"properties":{"name":"x"},"geometry":\#(geometry)}]}"#
}
