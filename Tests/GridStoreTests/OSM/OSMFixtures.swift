/// A hand-made OSM extract: a junction, excluded ways, a way with a missing node, buildings of every kind,
/// multipolygons (one with a courtyard, one with a missing member), facilities on nodes and areas, a 64-bit id.
enum OSMFixtures {
    static func square(_ id: Int, _ first: Int, lon: Double, lat: Double, size: Double) -> (nodes: String, refs: String) {
        let corners = [(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size)]
        let nodes = corners.enumerated().map { i, c in "<node id=\"\(first + i)\" lat=\"\(c.1)\" lon=\"\(c.0)\"/>" }.joined(separator: "\n")
        let refs = (0..<4).map { "<nd ref=\"\(first + $0)\"/>" }.joined() + "<nd ref=\"\(first)\"/>"
        return (nodes, refs)
    }

    static let small: String = {
        let apartments = square(200, 10, lon: 116.3005, lat: 39.9002, size: 0.0002)
        let plain = square(201, 30, lon: 116.3010, lat: 39.9002, size: 0.0002)
        let shop = square(202, 40, lon: 116.3015, lat: 39.9002, size: 0.0002)
        let outer = square(210, 50, lon: 116.3020, lat: 39.9010, size: 0.0004)
        let inner = square(211, 60, lon: 116.3021, lat: 39.9011, size: 0.0001)
        let school = square(220, 70, lon: 116.3000, lat: 39.9020, size: 0.0005)
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <osm version="0.6" generator="hand">
          <bounds minlat="39.899" minlon="116.299" maxlat="39.903" maxlon="116.304"/>
          <node id="1" lat="39.900" lon="116.300"/>
          <node id="2" lat="39.900" lon="116.301"/>
          <node id="3" lat="39.900" lon="116.302"/>
          <node id="4" lat="39.901" lon="116.301"/>
          <node id="5" lat="39.900" lon="116.303"/>
          <node id="6" lat="39.899" lon="116.301"/>
          <node id="3000000001" lat="39.901" lon="116.300"/>
          <node id="20" lat="39.9005" lon="116.3005"><tag k="amenity" v="pharmacy"/><tag k="name" v="同仁堂"/></node>
          <node id="21" lat="39.9006" lon="116.3006"><tag k="amenity" v="kindergarten"/><tag k="capacity" v="120"/></node>
          \(apartments.nodes)
          \(plain.nodes)
          \(shop.nodes)
          \(outer.nodes)
          \(inner.nodes)
          \(school.nodes)
          <way id="100"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/><tag k="name" v="Xueyuan Road"/></way>
          <way id="101"><nd ref="2"/><nd ref="4"/><tag k="highway" v="footway"/></way>
          <way id="102"><nd ref="3"/><nd ref="5"/><tag k="highway" v="motorway"/></way>
          <way id="103"><nd ref="2"/><nd ref="6"/><tag k="highway" v="footway"/><tag k="foot" v="no"/></way>
          <way id="104"><nd ref="4"/><nd ref="3000000001"/><nd ref="9999"/><tag k="highway" v="path"/></way>
          <way id="200">\(apartments.refs)<tag k="building" v="apartments"/><tag k="building:levels" v="10"/><tag k="name" v="1号楼"/></way>
          <way id="201">\(plain.refs)<tag k="building" v="yes"/></way>
          <way id="202">\(shop.refs)<tag k="building" v="retail"/></way>
          <way id="203"><nd ref="1"/><nd ref="9998"/><nd ref="3"/><nd ref="1"/><tag k="building" v="yes"/></way>
          <way id="210">\(outer.refs)</way>
          <way id="211">\(inner.refs)</way>
          <way id="220">\(school.refs)<tag k="amenity" v="school"/><tag k="name" v="Primary School"/></way>
          <relation id="300"><member type="way" ref="210" role="outer"/><member type="way" ref="211" role="inner"/>
            <tag k="type" v="multipolygon"/><tag k="building" v="residential"/></relation>
          <relation id="301"><member type="way" ref="999" role="outer"/><tag k="type" v="multipolygon"/><tag k="building" v="yes"/></relation>
        </osm>
        """
    }()
}
