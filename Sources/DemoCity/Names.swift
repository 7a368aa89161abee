/// Place-name roots in the style of north-east Beijing: pinyin for street `name`, characters for `name:zh`.
let nameRoots: [(pinyin: String, hanzi: String)] = [
    ("Wangjing", "望京"), ("Guangshun", "广顺"), ("Futong", "阜通"), ("Huguang", "湖光"),
    ("Lize", "利泽"), ("Hongtai", "宏泰"), ("Nanhu", "南湖"), ("Huajiadi", "花家地"),
    ("Taiyanggong", "太阳宫"), ("Jiangtai", "将台"), ("Dashanzi", "大山子"), ("Jiuxianqiao", "酒仙桥"),
    ("Anli", "安立"), ("Beiyuan", "北苑"), ("Laiguangying", "来广营"), ("Dongba", "东坝"),
    ("Changying", "常营"), ("Gaobeidian", "高碑店"), ("Tuanjiehu", "团结湖"), ("Hujialou", "呼家楼"),
    ("Maizidian", "麦子店"), ("Liulitun", "六里屯"), ("Balizhuang", "八里庄"), ("Tianshuiyuan", "甜水园"),
    ("Hongmiao", "红庙"), ("Zuojiazhuang", "左家庄"), ("Hongxing", "红星"), ("Xiaoguan", "小关"),
    ("Yayuncun", "亚运村"), ("Anzhen", "安贞"), ("Xiangheyuan", "香河园"), ("Shuangjing", "双井"),
    ("Jinsong", "劲松"), ("Panjiayuan", "潘家园"), ("Shilipu", "十里堡"), ("Jianxiang", "健翔"),
    ("Chaoyangmen", "朝阳门"), ("Dongfeng", "东风"), ("Sanlitun", "三里屯"), ("Xinyuan", "新源"),
]

let directions: [(pinyin: String, hanzi: String)] = [
    ("North", "北"), ("South", "南"), ("East", "东"), ("West", "西"), ("Middle", "中"),
]

let communitySuffixes = ["西园", "东园", "南里", "北里", "中里", "花园", "家园", "新村", "嘉园", "东里"]
let compoundSuffixes = ["小区", "家园", "花园", "嘉园", "雅苑", "公寓", "新城", "名苑"]
