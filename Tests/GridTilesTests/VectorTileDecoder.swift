import Foundation
import TestSupport

/// mapbox-vector-tile (PyPI), an MVT decoder written independently of ours, run on tile bytes.
enum IndependentDecoder {
    /// Prints the decoded tile as JSON with raw tile coordinates (y down), features sorted by id.
    static let script = """
        import json, sys, mapbox_vector_tile
        data = open(sys.argv[1], 'rb').read()
        tile = mapbox_vector_tile.decode(data, default_options={'y_coord_down': True})
        out = {}
        for name, layer in tile.items():
            out[name] = {'extent': layer['extent'], 'features': [
                {'id': f.get('id'), 'properties': f['properties'], 'type': f['geometry']['type'], 'coordinates': f['geometry']['coordinates']}
                for f in layer['features']]}
        print(json.dumps(out))
        """

    static let python: String? = {
        for candidate in ["/usr/bin/python3", "python3"] {
            if (try? run(candidate, ["-c", "import mapbox_vector_tile"]))?.0 == 0 { return candidate }
        }
        return nil
    }()

    static let skipReason = "python3 with mapbox-vector-tile is not installed (scripts/setup.sh installs it)"

    static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-mvt-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try Processes.launch(process)
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    /// The decoded tile as a JSON object (layer name → extent and features).
    static func decode(_ bytes: [UInt8]) throws -> [String: Any] {
        guard let python else { throw DecodeFailure(message: skipReason) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-\(UUID().uuidString).mvt")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = try run(python, ["-c", script, file.path])
        guard status == 0, let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            throw DecodeFailure(message: "mapbox-vector-tile failed (\(status)): \(output.prefix(2000))")
        }
        return object
    }

    struct DecodeFailure: Error, CustomStringConvertible { var message: String; var description: String { message } }
}
