/// The OpenAPI 3.0 description served at `/api`. Kept as JSON text so it reads like the published document;
/// responses and parameters used by several operations are `components` referenced by `$ref`. A test checks it
/// with a validator and that every route the router serves is in it.
enum OpenAPIDocument {
    static let contentType = "application/vnd.oai.openapi+json;version=3.0"

    static let bytes = Array(text.utf8)

    static let text = #"""
{
 "openapi": "3.0.3",
 "info": {
  "title": "CommunityGrid API",
  "version": "1.0.0",
  "description": "Community grids, buildings, service facilities and walking coverage against GB 50180-2018 life circles. OGC API - Features Part 1 (core, GeoJSON, OpenAPI 3.0) and Part 2 (CRS). Coordinates are WGS84 [longitude, latitude] unless crs says otherwise. Errors are application/problem+json with a stable code and the parameter at fault.",
  "license": {
   "name": "Data: ODbL 1.0 where it comes from OpenStreetMap"
  }
 },
 "servers": [
  {
   "url": "/"
  }
 ],
 "paths": {
  "/collections/cases": {
   "get": {
    "summary": "The cases collection (OGC API - Features)",
    "operationId": "getCasesCollection",
    "responses": {
     "200": {
      "description": "Collection metadata",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    }
   }
  },
  "/collections/cases/items": {
   "get": {
    "summary": "Cases as GeoJSON features with their grid and community codes, state, deadline light and allowed actions",
    "operationId": "getCases",
    "parameters": [
     {
      "name": "status",
      "in": "query",
      "required": false,
      "description": "open, closed or a state: registered, dispatched, handling, handled, checking, closed, void, returned, suspended",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "category",
      "in": "query",
      "required": false,
      "description": "Case category code",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "grid",
      "in": "query",
      "required": false,
      "description": "Grid code",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "community",
      "in": "query",
      "required": false,
      "description": "Community code",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "overdue",
      "in": "query",
      "required": false,
      "description": "true: only open cases whose running step is past its deadline",
      "schema": {
       "type": "string",
       "enum": [
        "true",
        "false"
       ]
      }
     },
     {
      "name": "bbox",
      "in": "query",
      "required": false,
      "description": "minLon,minLat,maxLon,maxLat",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 10000,
       "default": 1000
      }
     },
     {
      "name": "offset",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0
      }
     }
    ],
    "responses": {
     "200": {
      "description": "FeatureCollection of cases",
      "content": {
       "application/geo+json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/collections/cases/items/{code}": {
   "get": {
    "summary": "One case with its event history",
    "operationId": "getCase",
    "parameters": [
     {
      "name": "code",
      "in": "path",
      "required": true,
      "description": "Case code",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Feature",
      "content": {
       "application/geo+json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/cases/{code}/transitions": {
   "post": {
    "summary": "Apply an action to a case (dispatch, accept, feedback, check, close, rework, void, return, extend, suspend, resume); one transaction with its event",
    "operationId": "postCaseTransition",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "code",
      "in": "path",
      "required": true,
      "description": "Case code",
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "action"
        ],
        "properties": {
         "action": {
          "type": "string",
          "enum": [
           "dispatch",
           "accept",
           "feedback",
           "check",
           "close",
           "rework",
           "void",
           "return",
           "extend",
           "suspend",
           "resume"
          ]
         },
         "actor": {
          "type": "string"
         },
         "note": {
          "type": "string",
          "maxLength": 4000
         },
         "extension": {
          "type": "string",
          "description": "For extend: working hours or days, e.g. 4h, 2d"
         },
         "at": {
          "type": "string",
          "description": "ISO 8601 time (default now)"
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "The case after the transition",
      "content": {
       "application/geo+json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "409": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/cases/stats": {
   "get": {
    "summary": "Evaluation per unit over a period: registered, due, closure rate, on-time rate, rework rate, extension rate, median hours to close, overdue now, cases per 100 households",
    "operationId": "getCaseStats",
    "parameters": [
     {
      "name": "by",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "grid",
        "community",
        "street",
        "worker",
        "department"
       ],
       "default": "grid"
      }
     },
     {
      "name": "from",
      "in": "query",
      "required": false,
      "description": "Period start (date or ISO 8601 time; default 30 days before to)",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "to",
      "in": "query",
      "required": false,
      "description": "Period end, exclusive (default: now included)",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "now",
      "in": "query",
      "required": false,
      "description": "Time to judge overdue at (default now)",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Figures",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/open311/v2/discovery": {
   "get": {
    "summary": "Open311 GeoReport v2 discovery",
    "operationId": "getOpen311Discovery",
    "responses": {
     "200": {
      "description": "Open311 response",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "404": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     }
    }
   }
  },
  "/open311/v2/discovery.json": {
   "get": {
    "summary": "Open311 GeoReport v2 discovery",
    "operationId": "getOpen311DiscoveryJson",
    "responses": {
     "200": {
      "description": "Open311 response",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "404": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     }
    }
   }
  },
  "/open311/v2/services": {
   "get": {
    "summary": "Open311 services: the case categories",
    "operationId": "getOpen311Services",
    "responses": {
     "200": {
      "description": "Open311 response",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object"
         }
        }
       }
      }
     },
     "400": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "404": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     }
    }
   }
  },
  "/open311/v2/services.json": {
   "get": {
    "summary": "Open311 services: the case categories",
    "operationId": "getOpen311ServicesJson",
    "responses": {
     "200": {
      "description": "Open311 response",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object"
         }
        }
       }
      }
     },
     "400": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "404": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     }
    }
   }
  },
  "/open311/v2/services/{service_code}": {
   "get": {
    "summary": "Open311 service definition (attributes)",
    "operationId": "getOpen311Service",
    "parameters": [
     {
      "name": "service_code",
      "in": "path",
      "required": true,
      "description": "Service code (may end in .json)",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Open311 response",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "404": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     }
    }
   }
  },
  "/open311/v2/requests": {
   "get": {
    "summary": "Open311 service requests (default: the last 90 days, at most 1,000)",
    "operationId": "getOpen311Requests",
    "parameters": [
     {
      "name": "service_request_id",
      "in": "query",
      "required": false,
      "description": "Comma-separated ids",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "service_code",
      "in": "query",
      "required": false,
      "description": "Service code",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "start_date",
      "in": "query",
      "required": false,
      "description": "w3 date/time",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "end_date",
      "in": "query",
      "required": false,
      "description": "w3 date/time",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "status",
      "in": "query",
      "required": false,
      "description": "open, closed or open,closed",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Open311 response",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object"
         }
        }
       }
      }
     },
     "400": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "404": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "Open311: report a case; routed to building, grid, grid worker and department",
    "operationId": "postOpen311Request",
    "responses": {
     "201": {
      "description": "Open311 response",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object"
         }
        }
       }
      }
     },
     "400": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "404": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/x-www-form-urlencoded": {
       "schema": {
        "type": "object",
        "required": [
         "api_key",
         "service_code",
         "lat",
         "long"
        ],
        "properties": {
         "api_key": {
          "type": "string",
          "description": "The server's write token or a reporter key (cases keys add)"
         },
         "service_code": {
          "type": "string"
         },
         "lat": {
          "type": "number"
         },
         "long": {
          "type": "number"
         },
         "address_string": {
          "type": "string"
         },
         "description": {
          "type": "string",
          "maxLength": 4000
         },
         "media_url": {
          "type": "string"
         },
         "email": {
          "type": "string"
         },
         "first_name": {
          "type": "string"
         },
         "last_name": {
          "type": "string"
         },
         "attribute[reporter_kind]": {
          "type": "string",
          "enum": [
           "grid_worker",
           "resident",
           "hotline_12345",
           "other"
          ]
         }
        }
       }
      },
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "api_key",
         "service_code",
         "lat",
         "long"
        ],
        "properties": {
         "api_key": {
          "type": "string",
          "description": "The server's write token or a reporter key (cases keys add)"
         },
         "service_code": {
          "type": "string"
         },
         "lat": {
          "type": "number"
         },
         "long": {
          "type": "number"
         },
         "address_string": {
          "type": "string"
         },
         "description": {
          "type": "string",
          "maxLength": 4000
         },
         "media_url": {
          "type": "string"
         },
         "email": {
          "type": "string"
         },
         "first_name": {
          "type": "string"
         },
         "last_name": {
          "type": "string"
         },
         "attribute[reporter_kind]": {
          "type": "string",
          "enum": [
           "grid_worker",
           "resident",
           "hotline_12345",
           "other"
          ]
         }
        }
       }
      }
     }
    }
   }
  },
  "/open311/v2/requests.json": {
   "get": {
    "summary": "Open311 service requests (default: the last 90 days, at most 1,000)",
    "operationId": "getOpen311RequestsJson",
    "parameters": [
     {
      "name": "service_request_id",
      "in": "query",
      "required": false,
      "description": "Comma-separated ids",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "service_code",
      "in": "query",
      "required": false,
      "description": "Service code",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "start_date",
      "in": "query",
      "required": false,
      "description": "w3 date/time",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "end_date",
      "in": "query",
      "required": false,
      "description": "w3 date/time",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "status",
      "in": "query",
      "required": false,
      "description": "open, closed or open,closed",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Open311 response",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object"
         }
        }
       }
      }
     },
     "400": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "404": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "Open311: report a case; routed to building, grid, grid worker and department",
    "operationId": "postOpen311RequestJson",
    "responses": {
     "201": {
      "description": "Open311 response",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object"
         }
        }
       }
      }
     },
     "400": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "404": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/x-www-form-urlencoded": {
       "schema": {
        "type": "object",
        "required": [
         "api_key",
         "service_code",
         "lat",
         "long"
        ],
        "properties": {
         "api_key": {
          "type": "string",
          "description": "The server's write token or a reporter key (cases keys add)"
         },
         "service_code": {
          "type": "string"
         },
         "lat": {
          "type": "number"
         },
         "long": {
          "type": "number"
         },
         "address_string": {
          "type": "string"
         },
         "description": {
          "type": "string",
          "maxLength": 4000
         },
         "media_url": {
          "type": "string"
         },
         "email": {
          "type": "string"
         },
         "first_name": {
          "type": "string"
         },
         "last_name": {
          "type": "string"
         },
         "attribute[reporter_kind]": {
          "type": "string",
          "enum": [
           "grid_worker",
           "resident",
           "hotline_12345",
           "other"
          ]
         }
        }
       }
      },
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "api_key",
         "service_code",
         "lat",
         "long"
        ],
        "properties": {
         "api_key": {
          "type": "string",
          "description": "The server's write token or a reporter key (cases keys add)"
         },
         "service_code": {
          "type": "string"
         },
         "lat": {
          "type": "number"
         },
         "long": {
          "type": "number"
         },
         "address_string": {
          "type": "string"
         },
         "description": {
          "type": "string",
          "maxLength": 4000
         },
         "media_url": {
          "type": "string"
         },
         "email": {
          "type": "string"
         },
         "first_name": {
          "type": "string"
         },
         "last_name": {
          "type": "string"
         },
         "attribute[reporter_kind]": {
          "type": "string",
          "enum": [
           "grid_worker",
           "resident",
           "hotline_12345",
           "other"
          ]
         }
        }
       }
      }
     }
    }
   }
  },
  "/open311/v2/requests/{id}": {
   "get": {
    "summary": "Open311: one service request (id may end in .json)",
    "operationId": "getOpen311Request",
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "description": "service_request_id",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Open311 response",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object"
         }
        }
       }
      }
     },
     "400": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "404": {
      "description": "Open311 error: [{code, description}]",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "code",
           "description"
          ],
          "properties": {
           "code": {
            "type": "integer"
           },
           "description": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     }
    }
   }
  },
  "/": {
   "get": {
    "summary": "Landing page (JSON), or the map page for browsers (Accept: text/html or f=html)",
    "operationId": "getLandingPage",
    "parameters": [
     {
      "name": "f",
      "in": "query",
      "description": "json or html",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "json",
        "html"
       ]
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Landing page",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       },
       "text/html": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/map": {
   "get": {
    "summary": "Map page (Leaflet)",
    "operationId": "getMap",
    "responses": {
     "200": {
      "description": "Map page",
      "content": {
       "text/html": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     }
    }
   }
  },
  "/conformance": {
   "get": {
    "summary": "Conformance classes",
    "operationId": "getConformance",
    "responses": {
     "200": {
      "description": "Conformance",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "conformsTo"
         ],
         "properties": {
          "conformsTo": {
           "type": "array",
           "items": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     }
    }
   }
  },
  "/api": {
   "get": {
    "summary": "This OpenAPI document",
    "operationId": "getAPI",
    "responses": {
     "200": {
      "description": "OpenAPI 3.0",
      "content": {
       "application/vnd.oai.openapi+json;version=3.0": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     }
    }
   }
  },
  "/collections": {
   "get": {
    "summary": "Feature collections",
    "operationId": "getCollections",
    "responses": {
     "200": {
      "description": "Collections",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "collections": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Collection"
           }
          },
          "links": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Link"
           }
          }
         }
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     }
    }
   }
  },
  "/collections/{collectionId}": {
   "get": {
    "summary": "One collection",
    "operationId": "getCollection",
    "parameters": [
     {
      "$ref": "#/components/parameters/collectionId"
     }
    ],
    "responses": {
     "200": {
      "description": "Collection",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Collection"
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/collections/{collectionId}/queryables": {
   "get": {
    "summary": "Properties usable as filters and sort keys",
    "operationId": "getQueryables",
    "parameters": [
     {
      "$ref": "#/components/parameters/collectionId"
     }
    ],
    "responses": {
     "200": {
      "description": "JSON Schema",
      "content": {
       "application/schema+json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/collections/{collectionId}/items": {
   "get": {
    "summary": "Features of a collection",
    "description": "Any queryable property may be given as an equality filter, e.g. ?category=school on facilities or ?coverage_met=false on buildings. Each parameter may be given once. Rules across parameters (bbox order and area, property names of the collection) are checked by the server and answered 400 naming the parameter.",
    "operationId": "getFeatures",
    "parameters": [
     {
      "$ref": "#/components/parameters/collectionId"
     },
     {
      "name": "bbox",
      "in": "query",
      "description": "4 or 6 numbers: minx,miny,maxx,maxy or minx,miny,minz,maxx,maxy,maxz in bbox-crs (latitude first for EPSG:4326 and 4490); minimum at most maximum, inside longitude -180..180 and latitude -90..90, at most 1 square degree",
      "required": false,
      "schema": {
       "type": "array",
       "minItems": 4,
       "maxItems": 6,
       "items": {
        "type": "number"
       }
      },
      "style": "form",
      "explode": false
     },
     {
      "name": "bbox-crs",
      "in": "query",
      "description": "CRS the bbox is given in",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
        "http://www.opengis.net/def/crs/EPSG/0/4490",
        "urn:communitygrid:crs:gcj02",
        "urn:communitygrid:crs:bd09"
       ]
      }
     },
     {
      "name": "limit",
      "in": "query",
      "description": "Features per page (above 10000 the page holds 10000)",
      "required": false,
      "schema": {
       "type": "integer",
       "format": "int64",
       "minimum": 1,
       "maximum": 9223372036854775807,
       "default": 100
      }
     },
     {
      "name": "offset",
      "in": "query",
      "description": "Features to skip",
      "required": false,
      "schema": {
       "type": "integer",
       "format": "int64",
       "minimum": 0,
       "maximum": 9223372036854775807,
       "default": 0
      }
     },
     {
      "name": "properties",
      "in": "query",
      "description": "Properties to return, comma-separated; each a property of the collection (see its queryables for the filterable ones)",
      "required": false,
      "schema": {
       "type": "array",
       "items": {
        "type": "string"
       }
      },
      "style": "form",
      "explode": false
     },
     {
      "name": "sortby",
      "in": "query",
      "description": "Sort keys, comma-separated, each name, +name or -name of a queryable property",
      "required": false,
      "schema": {
       "type": "array",
       "items": {
        "type": "string"
       }
      },
      "style": "form",
      "explode": false
     },
     {
      "name": "datetime",
      "in": "query",
      "description": "RFC 3339 instant or interval; the layers carry no time, so every feature matches",
      "required": false,
      "schema": {
       "type": "string",
       "pattern": "^(\\.\\.|[0-9][^/]*)?(/(\\.\\.|[0-9][^/]*)?)?$"
      }
     },
     {
      "$ref": "#/components/parameters/crs"
     },
     {
      "$ref": "#/components/parameters/f"
     }
    ],
    "responses": {
     "200": {
      "description": "Features",
      "content": {
       "application/geo+json": {
        "schema": {
         "$ref": "#/components/schemas/FeatureCollection"
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/collections/{collectionId}/items/{featureId}": {
   "get": {
    "summary": "One feature",
    "operationId": "getFeature",
    "parameters": [
     {
      "$ref": "#/components/parameters/collectionId"
     },
     {
      "name": "featureId",
      "in": "path",
      "description": "Feature id",
      "required": true,
      "schema": {
       "type": "integer",
       "format": "int64"
      }
     },
     {
      "$ref": "#/components/parameters/crs"
     },
     {
      "$ref": "#/components/parameters/f"
     }
    ],
    "responses": {
     "200": {
      "description": "Feature",
      "content": {
       "application/geo+json": {
        "schema": {
         "$ref": "#/components/schemas/Feature"
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/isochrones": {
   "get": {
    "summary": "Walking isochrones around a point",
    "operationId": "getIsochrones",
    "parameters": [
     {
      "name": "lon",
      "in": "query",
      "description": "Origin longitude (WGS84)",
      "required": true,
      "schema": {
       "type": "number",
       "minimum": -180,
       "maximum": 180
      }
     },
     {
      "name": "lat",
      "in": "query",
      "description": "Origin latitude (WGS84)",
      "required": true,
      "schema": {
       "type": "number",
       "minimum": -90,
       "maximum": 90
      }
     },
     {
      "name": "minutes",
      "in": "query",
      "description": "Time contours, comma-separated, each above 0 and at most 60 (default: the profile's levels); at most 10 contours with meters",
      "required": false,
      "schema": {
       "type": "array",
       "minItems": 1,
       "maxItems": 10,
       "uniqueItems": true,
       "items": {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": true,
        "maximum": 60
       }
      },
      "style": "form",
      "explode": false
     },
     {
      "name": "meters",
      "in": "query",
      "description": "Distance contours, comma-separated, each above 0 and at most 5000; at most 10 contours with minutes",
      "required": false,
      "schema": {
       "type": "array",
       "minItems": 1,
       "maxItems": 10,
       "uniqueItems": true,
       "items": {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": true,
        "maximum": 5000
       }
      },
      "style": "form",
      "explode": false
     },
     {
      "name": "speed",
      "in": "query",
      "description": "Walking speed, m/s (above 0, at most 5), instead of the profile's",
      "required": false,
      "schema": {
       "type": "number",
       "exclusiveMinimum": true,
       "minimum": 0,
       "maximum": 5
      }
     },
     {
      "name": "profile",
      "in": "query",
      "description": "Profile by name (the server's active one, or a shipped one such as gb50180): its reach rule (walking speed, snap distance) and, without minutes or meters, its levels' minutes as contours. Default: the server's active profile",
      "required": false,
      "schema": {
       "type": "string",
       "minLength": 1
      }
     },
     {
      "$ref": "#/components/parameters/f"
     }
    ],
    "responses": {
     "200": {
      "$ref": "#/components/responses/Isochrones"
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    },
    "description": "Each parameter may be given once. The origin must lie within 200 m of the walking network (422 otherwise). Busy: 503 with Retry-After when the server computes as many isochrones as it allows."
   },
   "post": {
    "summary": "Walking isochrones around a point, a facility or every facility of a category",
    "operationId": "postIsochrones",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/IsochroneRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "$ref": "#/components/responses/Isochrones"
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "413": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    },
    "description": "Exactly one origin: lon and lat, a facility id, or a facility category. An unknown facility or category, or a point farther than 200 m from the walking network, is 422. Busy: 503 with Retry-After."
   }
  },
  "/coverage": {
   "get": {
    "summary": "Latest coverage run: summary, households covered per level by community and current grid, categories without facilities, and whether the data changed since (stale)",
    "operationId": "getCoverage",
    "parameters": [
     {
      "name": "f",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "json"
       ]
      }
     },
     {
      "name": "community",
      "in": "query",
      "required": false,
      "description": "only buildings of this community (12-digit code); a code the store does not hold is a 404 listing the valid codes",
      "schema": {
       "type": "string",
       "pattern": "^[0-9]{12}$"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Latest coverage run",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CoverageRun"
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/coverage/runs": {
   "get": {
    "summary": "Stored coverage runs, each with its data versions and stale flag",
    "operationId": "getCoverageRuns",
    "parameters": [
     {
      "name": "f",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "json"
       ]
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Runs",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "additionalProperties": false,
         "properties": {
          "runs": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/CoverageRunEntry"
           }
          }
         },
         "required": [
          "runs"
         ]
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/coverage/runs/{coverageRunId}": {
   "get": {
    "summary": "One stored coverage run, rendered without computing",
    "operationId": "getCoverageRun",
    "parameters": [
     {
      "name": "coverageRunId",
      "in": "path",
      "required": true,
      "description": "Coverage run id",
      "schema": {
       "type": "integer",
       "format": "int64",
       "minimum": 1,
       "maximum": 9223372036854775807
      }
     },
     {
      "name": "f",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "json"
       ]
      }
     },
     {
      "name": "community",
      "in": "query",
      "required": false,
      "description": "only buildings of this community (12-digit code); a code the store does not hold is a 404 listing the valid codes",
      "schema": {
       "type": "string",
       "pattern": "^[0-9]{12}$"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Coverage run",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CoverageRun"
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/coverage/compare": {
   "get": {
    "summary": "What changed between two stored coverage runs: households gaining and losing each level and category, by community and grid, and the changed buildings",
    "operationId": "compareCoverageRuns",
    "parameters": [
     {
      "name": "a",
      "in": "query",
      "required": true,
      "description": "the earlier run id",
      "schema": {
       "type": "integer",
       "format": "int64",
       "minimum": 1,
       "maximum": 9223372036854775807
      }
     },
     {
      "name": "b",
      "in": "query",
      "required": true,
      "description": "the later run id",
      "schema": {
       "type": "integer",
       "format": "int64",
       "minimum": 1,
       "maximum": 9223372036854775807
      }
     },
     {
      "name": "community",
      "in": "query",
      "required": false,
      "description": "only buildings of this community (12-digit code); a code the store does not hold is a 404 listing the valid codes",
      "schema": {
       "type": "string",
       "pattern": "^[0-9]{12}$"
      }
     },
     {
      "name": "f",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "json",
        "geojson"
       ]
      },
      "description": "geojson: the changed buildings as a FeatureCollection"
     }
    ],
    "responses": {
     "200": {
      "description": "Comparison (JSON), or the changed buildings (GeoJSON)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CoverageComparison"
        }
       },
       "application/geo+json": {
        "schema": {
         "$ref": "#/components/schemas/FeatureCollection"
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/runs": {
   "get": {
    "summary": "Grid reassignment runs",
    "operationId": "getRuns",
    "responses": {
     "200": {
      "description": "Runs",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "runs": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Run"
           }
          }
         }
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     }
    }
   },
   "post": {
    "summary": "Start a grid reassignment (rebalance) run; answered at once with the run id",
    "operationId": "postRun",
    "security": [
     {
      "bearer": []
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/RunRequest"
       }
      }
     }
    },
    "responses": {
     "202": {
      "description": "Accepted; poll the run",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Run"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "413": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    },
    "description": "The body is checked before 202: unknown communities, min above max and a store without communities are 422. 503 with Retry-After while another run is computed or the store is locked."
   }
  },
  "/runs/{runId}": {
   "get": {
    "summary": "Status and metrics of a run",
    "operationId": "getRun",
    "parameters": [
     {
      "$ref": "#/components/parameters/runId"
     }
    ],
    "responses": {
     "200": {
      "$ref": "#/components/responses/Run"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/runs/{runId}/diff": {
   "get": {
    "summary": "Buildings and households that move, from which grid to which",
    "operationId": "getRunDiff",
    "parameters": [
     {
      "$ref": "#/components/parameters/runId"
     }
    ],
    "responses": {
     "200": {
      "description": "Moves",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "409": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/runs/{runId}/grids": {
   "get": {
    "summary": "The run's proposed grid polygons",
    "operationId": "getRunGrids",
    "parameters": [
     {
      "$ref": "#/components/parameters/runId"
     }
    ],
    "responses": {
     "200": {
      "description": "Grids",
      "content": {
       "application/geo+json": {
        "schema": {
         "$ref": "#/components/schemas/FeatureCollection"
        }
       }
      }
     },
     "304": {
      "$ref": "#/components/responses/NotModified"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "409": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/runs/{runId}/apply": {
   "post": {
    "summary": "Replace the grids with the run's plan (one transaction)",
    "operationId": "applyRun",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "$ref": "#/components/parameters/runId"
     }
    ],
    "responses": {
     "200": {
      "$ref": "#/components/responses/Run"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "409": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/runs/{runId}/revert": {
   "post": {
    "summary": "Restore the grids the run replaced",
    "operationId": "revertRun",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "$ref": "#/components/parameters/runId"
     }
    ],
    "responses": {
     "200": {
      "$ref": "#/components/responses/Run"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "409": {
      "$ref": "#/components/responses/Problem"
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/health": {
   "get": {
    "summary": "Liveness and feature counts",
    "operationId": "getHealth",
    "responses": {
     "200": {
      "description": "Healthy",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    }
   }
  },
  "/metrics": {
   "get": {
    "summary": "Prometheus metrics: requests and latency by route",
    "operationId": "getMetrics",
    "responses": {
     "200": {
      "description": "Prometheus text format",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     }
    }
   }
  }
 },
 "components": {
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer",
    "description": "The server's write token (COMMUNITYGRID_TOKEN or --token-file)"
   }
  },
  "schemas": {
   "Problem": {
    "type": "object",
    "required": [
     "type",
     "title",
     "status",
     "code"
    ],
    "properties": {
     "type": {
      "type": "string"
     },
     "title": {
      "type": "string"
     },
     "status": {
      "type": "integer"
     },
     "detail": {
      "type": "string"
     },
     "code": {
      "type": "string"
     },
     "parameter": {
      "type": "string"
     }
    }
   },
   "Link": {
    "type": "object",
    "required": [
     "href"
    ],
    "properties": {
     "href": {
      "type": "string"
     },
     "rel": {
      "type": "string"
     },
     "type": {
      "type": "string"
     },
     "title": {
      "type": "string"
     }
    }
   },
   "Collection": {
    "type": "object",
    "required": [
     "id",
     "links"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "title": {
      "type": "string"
     },
     "description": {
      "type": "string"
     },
     "itemType": {
      "type": "string"
     },
     "crs": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "storageCrs": {
      "type": "string"
     },
     "extent": {
      "type": "object"
     },
     "links": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Link"
      }
     }
    }
   },
   "Feature": {
    "type": "object",
    "required": [
     "type",
     "geometry",
     "properties"
    ],
    "properties": {
     "type": {
      "type": "string",
      "enum": [
       "Feature"
      ]
     },
     "id": {
      "oneOf": [
       {
        "type": "integer"
       },
       {
        "type": "string"
       }
      ]
     },
     "geometry": {
      "type": "object",
      "nullable": true
     },
     "properties": {
      "type": "object",
      "nullable": true
     },
     "links": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Link"
      }
     }
    }
   },
   "FeatureCollection": {
    "type": "object",
    "required": [
     "type",
     "features"
    ],
    "properties": {
     "type": {
      "type": "string",
      "enum": [
       "FeatureCollection"
      ]
     },
     "features": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Feature"
      }
     },
     "numberMatched": {
      "type": "integer",
      "minimum": 0
     },
     "numberReturned": {
      "type": "integer",
      "minimum": 0
     },
     "links": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Link"
      }
     }
    }
   },
   "IsochroneRequest": {
    "description": "Exactly one origin: lon and lat, facility, or category; minutes and meters together at most 10 contours (default: the profile's levels).",
    "oneOf": [
     {
      "type": "object",
      "title": "Point",
      "required": [
       "lon",
       "lat"
      ],
      "properties": {
       "lon": {
        "type": "number",
        "minimum": -180,
        "maximum": 180
       },
       "lat": {
        "type": "number",
        "minimum": -90,
        "maximum": 90
       },
       "minutes": {
        "type": "array",
        "minItems": 1,
        "maxItems": 10,
        "uniqueItems": true,
        "items": {
         "type": "number",
         "minimum": 0,
         "exclusiveMinimum": true,
         "maximum": 60
        }
       },
       "meters": {
        "type": "array",
        "minItems": 1,
        "maxItems": 10,
        "uniqueItems": true,
        "items": {
         "type": "number",
         "minimum": 0,
         "exclusiveMinimum": true,
         "maximum": 5000
        }
       },
       "speed": {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": true,
        "maximum": 5,
        "description": "Walking speed, m/s, instead of the profile's"
       },
       "profile": {
        "description": "A profile by name (the server's active one or a shipped one), or a whole profile as `communitygrid profile` prints it: its reach rule and, without minutes or meters, its levels. Default: the server's active profile",
        "oneOf": [
         {
          "type": "string",
          "minLength": 1
         },
         {
          "$ref": "#/components/schemas/LifeCircleProfile"
         }
        ]
       }
      },
      "additionalProperties": false
     },
     {
      "type": "object",
      "title": "Facility",
      "required": [
       "facility"
      ],
      "properties": {
       "facility": {
        "type": "integer",
        "format": "int64",
        "minimum": 1,
        "maximum": 9007199254740992
       },
       "minutes": {
        "type": "array",
        "minItems": 1,
        "maxItems": 10,
        "uniqueItems": true,
        "items": {
         "type": "number",
         "minimum": 0,
         "exclusiveMinimum": true,
         "maximum": 60
        }
       },
       "meters": {
        "type": "array",
        "minItems": 1,
        "maxItems": 10,
        "uniqueItems": true,
        "items": {
         "type": "number",
         "minimum": 0,
         "exclusiveMinimum": true,
         "maximum": 5000
        }
       },
       "speed": {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": true,
        "maximum": 5,
        "description": "Walking speed, m/s, instead of the profile's"
       },
       "profile": {
        "description": "A profile by name (the server's active one or a shipped one), or a whole profile as `communitygrid profile` prints it: its reach rule and, without minutes or meters, its levels. Default: the server's active profile",
        "oneOf": [
         {
          "type": "string",
          "minLength": 1
         },
         {
          "$ref": "#/components/schemas/LifeCircleProfile"
         }
        ]
       }
      },
      "additionalProperties": false
     },
     {
      "type": "object",
      "title": "Category",
      "required": [
       "category"
      ],
      "properties": {
       "category": {
        "type": "string",
        "minLength": 1
       },
       "minutes": {
        "type": "array",
        "minItems": 1,
        "maxItems": 10,
        "uniqueItems": true,
        "items": {
         "type": "number",
         "minimum": 0,
         "exclusiveMinimum": true,
         "maximum": 60
        }
       },
       "meters": {
        "type": "array",
        "minItems": 1,
        "maxItems": 10,
        "uniqueItems": true,
        "items": {
         "type": "number",
         "minimum": 0,
         "exclusiveMinimum": true,
         "maximum": 5000
        }
       },
       "speed": {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": true,
        "maximum": 5,
        "description": "Walking speed, m/s, instead of the profile's"
       },
       "profile": {
        "description": "A profile by name (the server's active one or a shipped one), or a whole profile as `communitygrid profile` prints it: its reach rule and, without minutes or meters, its levels. Default: the server's active profile",
        "oneOf": [
         {
          "type": "string",
          "minLength": 1
         },
         {
          "$ref": "#/components/schemas/LifeCircleProfile"
         }
        ]
       }
      },
      "additionalProperties": false
     }
    ]
   },
   "LifeCircleProfile": {
    "type": "object",
    "required": [
     "name",
     "walkingSpeed",
     "levels"
    ],
    "properties": {
     "name": {
      "type": "string"
     },
     "title": {
      "type": "string"
     },
     "walkingSpeed": {
      "type": "number",
      "exclusiveMinimum": true,
      "minimum": 0,
      "maximum": 5
     },
     "snapDistance": {
      "type": "number",
      "minimum": 0,
      "maximum": 2000
     },
     "levels": {
      "type": "array",
      "minItems": 1,
      "items": {
       "type": "object",
       "required": [
        "minutes",
        "categories"
       ],
       "properties": {
        "minutes": {
         "type": "number",
         "exclusiveMinimum": true,
         "minimum": 0,
         "maximum": 120
        },
        "categories": {
         "type": "array",
         "minItems": 1,
         "items": {
          "type": "object",
          "required": [
           "category"
          ],
          "properties": {
           "category": {
            "type": "string",
            "minLength": 1
           },
           "maxDistance": {
            "type": "number",
            "exclusiveMinimum": true,
            "minimum": 0
           },
           "label": {
            "type": "string"
           },
           "kind": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     }
    }
   },
   "RunRequest": {
    "type": "object",
    "properties": {
     "communities": {
      "type": "array",
      "items": {
       "type": "string",
       "pattern": "^[0-9]{12}$"
      },
      "description": "12-digit codes of communities in the store; empty or absent = all"
     },
     "min": {
      "type": "integer",
      "minimum": 1,
      "default": 300,
      "maximum": 999999999,
      "description": "Fewest households per grid (at most max)"
     },
     "max": {
      "type": "integer",
      "minimum": 1,
      "default": 500,
      "maximum": 999999999,
      "description": "Most households per grid (at least min)"
     },
     "grid_count": {
      "type": "integer",
      "minimum": 1,
      "maximum": 999999999
     },
     "from_current": {
      "type": "boolean",
      "default": true
     },
     "stability": {
      "type": "number",
      "minimum": 0,
      "maximum": 1,
      "default": 0.7
     },
     "barriers": {
      "type": "array",
      "items": {
       "type": "string",
       "pattern": "^[A-Za-z0-9_]+$"
      },
      "description": "highway classes of the walking network that grids should not cross (e.g. primary, secondary, trunk)"
     }
    },
    "additionalProperties": false
   },
   "Run": {
    "type": "object",
    "required": [
     "id",
     "status"
    ],
    "properties": {
     "id": {
      "type": "integer",
      "format": "int64"
     },
     "created_at": {
      "type": "string"
     },
     "status": {
      "type": "string",
      "enum": [
       "running",
       "failed",
       "done",
       "dry_run",
       "applied",
       "reverted"
      ]
     },
     "parameters": {
      "type": "object"
     },
     "metrics": {
      "type": "object"
     },
     "warnings": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "error": {
      "type": "string"
     },
     "stale": {
      "type": "boolean",
      "description": "dry runs only: true when any layer changed since the plan was computed"
     },
     "changed_since": {
      "type": "array",
      "description": "dry runs only: the layers changed since the plan was computed",
      "items": {
       "type": "string"
      }
     },
     "links": {
      "type": "array",
      "items": {
       "type": "object"
      }
     }
    }
   },
   "DataVersions": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "buildings": {
      "type": "integer",
      "format": "int64"
     },
     "facilities": {
      "type": "integer",
      "format": "int64"
     },
     "network": {
      "type": "integer",
      "format": "int64"
     },
     "grids": {
      "type": "integer",
      "format": "int64"
     },
     "communities": {
      "type": "integer",
      "format": "int64"
     }
    },
    "required": [
     "buildings",
     "facilities",
     "network",
     "grids",
     "communities"
    ],
    "description": "Per-layer data versions: counters raised on every change to the layer's table, by any process"
   },
   "MissingCategory": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "category": {
      "type": "string"
     },
     "note": {
      "type": "string"
     }
    },
    "required": [
     "category",
     "note"
    ],
    "description": "A category of the profile no facility can meet, e.g. elderly_care: no facility in the store"
   },
   "CoverageRequirement": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "category": {
      "type": "string"
     },
     "label": {
      "type": "string",
      "nullable": true
     },
     "limit_m": {
      "type": "number"
     },
     "households_covered": {
      "type": "integer",
      "format": "int64"
     },
     "share": {
      "type": "number"
     }
    },
    "required": [
     "category",
     "label",
     "limit_m",
     "households_covered",
     "share"
    ]
   },
   "CoverageLevel": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "minutes": {
      "type": "number"
     },
     "households_covered": {
      "type": "integer",
      "format": "int64"
     },
     "buildings_covered": {
      "type": "integer",
      "format": "int64"
     },
     "share": {
      "type": "number"
     },
     "uncovered_buildings": {
      "type": "integer",
      "format": "int64",
      "description": "buildings with households that miss the level (the one definition every output uses)"
     },
     "requirements": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/CoverageRequirement"
      }
     }
    },
    "required": [
     "minutes",
     "households_covered",
     "buildings_covered",
     "share",
     "uncovered_buildings",
     "requirements"
    ]
   },
   "CoverageGroup": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "code": {
      "type": "string"
     },
     "buildings": {
      "type": "integer",
      "format": "int64"
     },
     "households": {
      "type": "integer",
      "format": "int64"
     },
     "off_network_buildings": {
      "type": "integer",
      "format": "int64"
     },
     "levels": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/CoverageLevel"
      }
     }
    },
    "required": [
     "code",
     "buildings",
     "households",
     "off_network_buildings",
     "levels"
    ]
   },
   "CoverageSummary": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "code": {
      "type": "string"
     },
     "buildings": {
      "type": "integer",
      "format": "int64"
     },
     "households": {
      "type": "integer",
      "format": "int64"
     },
     "off_network_buildings": {
      "type": "integer",
      "format": "int64"
     },
     "levels": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/CoverageLevel"
      }
     },
     "facilities_placed": {
      "type": "object",
      "additionalProperties": {
       "type": "integer",
       "format": "int64"
      }
     },
     "facilities_off_network": {
      "type": "object",
      "additionalProperties": {
       "type": "integer",
       "format": "int64"
      }
     },
     "categories_without_facilities": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/MissingCategory"
      }
     }
    },
    "required": [
     "facilities_placed",
     "facilities_off_network",
     "categories_without_facilities"
    ]
   },
   "CoverageRunEntry": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "id": {
      "type": "integer",
      "format": "int64"
     },
     "created_at": {
      "type": "string"
     },
     "profile": {
      "type": "string"
     },
     "buildings": {
      "type": "integer",
      "format": "int64"
     },
     "households": {
      "type": "integer",
      "format": "int64"
     },
     "levels": {
      "type": "array",
      "items": {
       "type": "object",
       "additionalProperties": false,
       "properties": {
        "minutes": {
         "type": "number"
        },
        "households_covered": {
         "type": "integer",
         "format": "int64"
        }
       },
       "required": [
        "minutes",
        "households_covered"
       ]
      }
     },
     "stale": {
      "type": "boolean",
      "description": "true when any layer changed since the run was computed"
     },
     "changed_since": {
      "type": "array",
      "items": {
       "type": "string",
       "enum": [
        "buildings",
        "facilities",
        "network",
        "grids",
        "communities"
       ]
      },
      "description": "the layers changed since the run"
     },
     "data_versions": {
      "allOf": [
       {
        "$ref": "#/components/schemas/DataVersions"
       }
      ],
      "nullable": true,
      "description": "versions the run was computed on; null for runs stored before versions were kept"
     },
     "current_versions": {
      "$ref": "#/components/schemas/DataVersions"
     },
     "links": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Link"
      }
     }
    },
    "required": [
     "id",
     "created_at",
     "profile",
     "buildings",
     "households",
     "levels",
     "stale",
     "changed_since",
     "data_versions",
     "current_versions"
    ],
    "description": "A stored coverage run"
   },
   "CoverageRun": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "run_id": {
      "type": "integer",
      "format": "int64"
     },
     "profile": {
      "type": "string"
     },
     "created_at": {
      "type": "string"
     },
     "summary": {
      "$ref": "#/components/schemas/CoverageSummary"
     },
     "categories_without_facilities": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/MissingCategory"
      }
     },
     "communities": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/CoverageGroup"
      }
     },
     "grids": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/CoverageGroup"
      },
      "description": "per current grid: buildings are rolled up by the grid that holds them now"
     },
     "stale": {
      "type": "boolean"
     },
     "changed_since": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "data_versions": {
      "allOf": [
       {
        "$ref": "#/components/schemas/DataVersions"
       }
      ],
      "nullable": true
     },
     "current_versions": {
      "$ref": "#/components/schemas/DataVersions"
     },
     "run": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
       "id": {
        "type": "integer",
        "format": "int64"
       },
       "created_at": {
        "type": "string"
       },
       "profile": {
        "type": "string"
       },
       "stale": {
        "type": "boolean"
       },
       "changed_since": {
        "type": "array",
        "items": {
         "type": "string"
        }
       }
      },
      "required": [
       "id",
       "created_at",
       "profile",
       "stale",
       "changed_since"
      ]
     },
     "links": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Link"
      }
     }
    },
    "required": [
     "run_id",
     "profile",
     "created_at",
     "summary",
     "categories_without_facilities",
     "communities",
     "grids",
     "stale",
     "changed_since",
     "data_versions",
     "current_versions",
     "run",
     "links"
    ],
    "description": "A stored coverage run rolled up by community and current grid"
   },
   "CoverageKey": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "minutes": {
      "type": "number"
     },
     "category": {
      "type": "string",
      "nullable": true,
      "description": "null for the level itself"
     }
    },
    "required": [
     "minutes",
     "category"
    ]
   },
   "CoverageChange": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "minutes": {
      "type": "number"
     },
     "category": {
      "type": "string",
      "nullable": true
     },
     "households_gained": {
      "type": "integer",
      "format": "int64"
     },
     "households_lost": {
      "type": "integer",
      "format": "int64"
     },
     "buildings_gained": {
      "type": "integer",
      "format": "int64"
     },
     "buildings_lost": {
      "type": "integer",
      "format": "int64"
     }
    },
    "required": [
     "minutes",
     "category",
     "households_gained",
     "households_lost",
     "buildings_gained",
     "buildings_lost"
    ]
   },
   "CoverageComparison": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "a": {
      "$ref": "#/components/schemas/CoverageRunEntry"
     },
     "b": {
      "$ref": "#/components/schemas/CoverageRunEntry"
     },
     "compared": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/CoverageKey"
      }
     },
     "total": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/CoverageChange"
      }
     },
     "communities": {
      "type": "array",
      "items": {
       "type": "object",
       "additionalProperties": false,
       "properties": {
        "code": {
         "type": "string"
        },
        "changes": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/CoverageChange"
         }
        }
       },
       "required": [
        "code",
        "changes"
       ]
      }
     },
     "grids": {
      "type": "array",
      "items": {
       "type": "object",
       "additionalProperties": false,
       "properties": {
        "code": {
         "type": "string"
        },
        "changes": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/CoverageChange"
         }
        }
       },
       "required": [
        "code",
        "changes"
       ]
      }
     },
     "changed_buildings": {
      "type": "array",
      "items": {
       "type": "object",
       "additionalProperties": false,
       "properties": {
        "id": {
         "type": "integer",
         "format": "int64"
        },
        "households": {
         "type": "integer",
         "format": "int64"
        },
        "grid": {
         "type": "string",
         "nullable": true
        },
        "community": {
         "type": "string",
         "nullable": true
        },
        "gained": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/CoverageKey"
         }
        },
        "lost": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/CoverageKey"
         }
        }
       },
       "required": [
        "id",
        "households",
        "grid",
        "community",
        "gained",
        "lost"
       ]
      }
     },
     "only_in_a": {
      "type": "array",
      "items": {
       "type": "integer",
       "format": "int64"
      }
     },
     "only_in_b": {
      "type": "array",
      "items": {
       "type": "integer",
       "format": "int64"
      }
     }
    },
    "required": [
     "a",
     "b",
     "compared",
     "total",
     "communities",
     "grids",
     "changed_buildings",
     "only_in_a",
     "only_in_b"
    ],
    "description": "Households gaining and losing each level and requirement between runs a and b"
   }
  },
  "responses": {
   "Problem": {
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    },
    "description": "Problem (RFC 9457)"
   },
   "NotModified": {
    "description": "Not modified (If-None-Match)"
   },
   "Isochrones": {
    "content": {
     "application/geo+json": {
      "schema": {
       "$ref": "#/components/schemas/FeatureCollection"
      }
     }
    },
    "description": "One MultiPolygon per contour, largest first"
   },
   "Run": {
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Run"
      }
     }
    },
    "description": "Run"
   }
  },
  "parameters": {
   "collectionId": {
    "description": "Collection id",
    "in": "path",
    "name": "collectionId",
    "required": true,
    "schema": {
     "enum": [
      "communities",
      "grids",
      "buildings",
      "facilities",
      "network"
     ],
     "type": "string"
    }
   },
   "crs": {
    "description": "CRS of the returned coordinates (EPSG:4326 and 4490 are latitude first; GCJ-02 for AMap/Tencent, BD-09 for Baidu)",
    "in": "query",
    "name": "crs",
    "required": false,
    "schema": {
     "enum": [
      "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
      "http://www.opengis.net/def/crs/EPSG/0/4326",
      "http://www.opengis.net/def/crs/EPSG/0/4490",
      "urn:communitygrid:crs:gcj02",
      "urn:communitygrid:crs:bd09"
     ],
     "type": "string"
    }
   },
   "f": {
    "description": "Output format",
    "in": "query",
    "name": "f",
    "required": false,
    "schema": {
     "enum": [
      "json",
      "geojson"
     ],
     "type": "string"
    }
   },
   "runId": {
    "description": "Grid run id",
    "in": "path",
    "name": "runId",
    "required": true,
    "schema": {
     "format": "int64",
     "type": "integer"
    }
   }
  }
 }
}
"""#
}
