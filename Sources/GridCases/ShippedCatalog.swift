extension CaseCatalog {
    /// The default departments and case categories, after the 部件/事件 classes of GB/T 30428.2 and common street
    /// office practice. Limits are in working hours (h) or days (d) on the store's calendar. A store can replace
    /// them (`communitygrid cases categories --load FILE`); `communitygrid cases categories` prints the ones in use.
    public static let shippedJSON = #"""
    {
      "name": "default",
      "departments": [
        {"code": "chengguan", "name": "城管执法"},
        {"code": "huanwei", "name": "环境卫生"},
        {"code": "shizheng", "name": "市政设施"},
        {"code": "yuanlin", "name": "园林绿化"},
        {"code": "minzheng", "name": "民政与养老"},
        {"code": "weijian", "name": "卫生健康"},
        {"code": "jiaoyu", "name": "教育"},
        {"code": "shequ", "name": "社区居委会"}
      ],
      "categories": [
        {"code": "street-light", "nameZh": "路灯损坏", "nameEn": "Broken street light", "kind": "component", "department": "shizheng", "handlingLimit": "3d", "checkingLimit": "4h", "priority": 3},
        {"code": "manhole-cover", "nameZh": "井盖缺失或破损", "nameEn": "Missing or broken manhole cover", "kind": "component", "department": "shizheng", "handlingLimit": "4h", "checkingLimit": "2h", "priority": 1},
        {"code": "road-damage", "nameZh": "道路破损", "nameEn": "Damaged pavement", "kind": "component", "department": "shizheng", "handlingLimit": "5d", "checkingLimit": "1d", "priority": 2},
        {"code": "green-damage", "nameZh": "绿地或树木损坏", "nameEn": "Damaged green space or tree", "kind": "component", "department": "yuanlin", "handlingLimit": "5d", "checkingLimit": "1d", "priority": 3},
        {"code": "refuse-pile", "nameZh": "垃圾堆积", "nameEn": "Piled rubbish", "kind": "event", "department": "huanwei", "handlingLimit": "4h", "checkingLimit": "2h", "priority": 2},
        {"code": "refuse-point", "nameZh": "垃圾收集点停用", "nameEn": "Refuse point out of service", "kind": "component", "department": "huanwei", "handlingLimit": "1d", "checkingLimit": "4h", "priority": 2},
        {"code": "service-station-closed", "nameZh": "社区服务站暂停服务", "nameEn": "Community service station closed", "kind": "component", "department": "shequ", "handlingLimit": "2d", "checkingLimit": "4h", "priority": 2, "facilityCategory": "community_service"},
        {"code": "illegal-parking", "nameZh": "违章停车占道", "nameEn": "Illegal parking blocking the way", "kind": "event", "department": "chengguan", "handlingLimit": "2h", "checkingLimit": "2h", "priority": 2},
        {"code": "street-vending", "nameZh": "占道经营", "nameEn": "Street vending on the pavement", "kind": "event", "department": "chengguan", "handlingLimit": "4h", "checkingLimit": "2h", "priority": 3},
        {"code": "illegal-building", "nameZh": "违法建设", "nameEn": "Unauthorised construction", "kind": "event", "department": "chengguan", "handlingLimit": "10d", "checkingLimit": "2d", "priority": 2},
        {"code": "elderly-visit", "nameZh": "独居老人需要探访", "nameEn": "Elderly resident living alone needs a visit", "kind": "event", "department": "minzheng", "handlingLimit": "1d", "checkingLimit": "1d", "priority": 1},
        {"code": "elderly-care-closed", "nameZh": "养老服务设施停用", "nameEn": "Elderly day care out of service", "kind": "component", "department": "minzheng", "handlingLimit": "5d", "checkingLimit": "1d", "priority": 2, "facilityCategory": "elderly_care"},
        {"code": "clinic-closed", "nameZh": "社区卫生服务站停诊", "nameEn": "Community clinic closed", "kind": "component", "department": "weijian", "handlingLimit": "3d", "checkingLimit": "1d", "priority": 1, "facilityCategory": "clinic"},
        {"code": "kindergarten-closed", "nameZh": "幼儿园停园", "nameEn": "Kindergarten closed", "kind": "component", "department": "jiaoyu", "handlingLimit": "5d", "checkingLimit": "1d", "priority": 2, "facilityCategory": "kindergarten"},
        {"code": "neighbour-dispute", "nameZh": "邻里纠纷", "nameEn": "Dispute between neighbours", "kind": "event", "department": "shequ", "handlingLimit": "3d", "checkingLimit": "1d", "priority": 3},
        {"code": "noise", "nameZh": "噪声扰民", "nameEn": "Noise nuisance", "kind": "event", "department": "chengguan", "handlingLimit": "1d", "checkingLimit": "4h", "priority": 3}
      ]
    }
    """#
}
