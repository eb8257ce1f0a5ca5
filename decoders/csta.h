/* csta.h - one CSTA message, decoded from BER (ECMA-285 Phase III, ECMA-217/218 Phase II,
 * through asn1c) or from XML (ECMA-323, through libxml2), in one normalised form that the
 * correlator reads without knowing the encoding.
 *
 * Text fields are copies into fixed buffers (the BER and XML decoders both have to build
 * them: BER device ids are OCTET/IA5 strings, XML text may be split or escaped), each cut at
 * its size with `truncated` set. Identifiers that are octet strings in BER (callID,
 * monitorCrossRefID) are written as lower-case hex; in XML they are the text as sent.
 */
#ifndef CT_CSTA_H
#define CT_CSTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ct_csta_encoding { CT_CSTA_BER = 0, CT_CSTA_XML = 1 };

enum ct_csta_kind {
	CT_CSTA_UNKNOWN = 0,
	CT_CSTA_EVENT,      /* cSTAEventReport (ROSE invoke op 21) or an XML ...Event */
	CT_CSTA_REQUEST,    /* a service invoke (MakeCall, MonitorStart, SystemStatus, ...) */
	CT_CSTA_RESULT,     /* ROSE returnResult / XML ...Response */
	CT_CSTA_ERROR,      /* ROSE returnError / XML CSTAErrorCode */
	CT_CSTA_REJECT,     /* ROSE reject */
	CT_CSTA_AARQ,       /* ACSE association request */
	CT_CSTA_AARE,       /* ACSE association response */
	CT_CSTA_RLRQ,
	CT_CSTA_RLRE,
	CT_CSTA_ABRT,
};

#define CT_CSTA_DEV 64
#define CT_CSTA_ID 64

struct ct_csta_conn {
	char call_id[CT_CSTA_ID];  /* callID: hex for BER, text for XML; "" if absent */
	char device[CT_CSTA_DEV];  /* deviceID of the connection (static or dynamic id) */
};

struct ct_csta_msg {
	uint8_t encoding;          /* enum ct_csta_encoding */
	uint8_t phase;             /* 2 or 3 for BER (which module decoded it); 0 for XML */
	uint8_t kind;              /* enum ct_csta_kind */
	bool has_invoke_id;
	int64_t invoke_id;         /* ROSE invokeID; XML: the 4-digit id of the frame header */
	int32_t opcode;            /* ROSE local operation code (has_opcode); -1 for XML */
	bool has_opcode;           /* opcode came from the PDU (any value, negative ones too) */
	uint8_t nid;               /* enum ct_csta_name (csta_names.h): what the correlator acts on */
	char name[48];             /* snake_case event or service: delivered, established,
	                              connection_cleared, make_call, monitor_start, system_status,
	                              agent_ready ...; results and errors carry the service name */
	char category[24];         /* call_control, call_associated, logical_device (agent),
	                              device_maintenance, physical_device, private, "" */
	char xref[CT_CSTA_ID];     /* monitorCrossRefID of an event or a MonitorStart result */
	struct ct_csta_conn conn;  /* the event's main connection (connection, establishedConnection,
	                              droppedConnection, heldConnection, ...) */
	struct ct_csta_conn conn2; /* a second one: secondaryOldCall, newConnection, ... */
	char new_call_id[CT_CSTA_ID]; /* Transferred/Conferenced: the callID of the resulting call */
	char subject[CT_CSTA_DEV]; /* alertingDevice, answeringDevice, releasingDevice, holdingDevice,
	                              transferringDevice, divertingDevice, agentDevice ... */
	char calling[CT_CSTA_DEV];
	char called[CT_CSTA_DEV];
	char other[CT_CSTA_DEV];   /* transferredToDevice, addedParty, newDestination, lastRedirection */
	char local_state[16];      /* null, initiated, alerting, connected, hold, queued, fail */
	char cause[32];            /* EventCause name in snake_case, or the number when unknown */
	char correlator[128];      /* correlatorData (hex for BER) */
	char user_data[128];       /* userData (hex for BER) */
	char global_call_id[128];  /* callLinkageData globalCallLinkageID (hex for BER) */
	char agent_state[24];      /* agent events and SetAgentState: ready, not_ready, ... */
	char agent_id[CT_CSTA_DEV];
	char reason[32];           /* not-ready reason code, when sent */
	char monitor_device[CT_CSTA_DEV]; /* MonitorStart: the monitored device */
	char error[48];            /* error value of a returnError, snake_case */
	char system_status[24];    /* SystemStatus */
	uint32_t csta_version;     /* ACSE: CSTAVersion bits */
	char ns[96];               /* XML: the namespace (tells the ECMA-323 edition) */
	bool private_data;         /* vendor private data was present (kept opaque) */
	bool unknown;              /* decoded as far as the envelope only */
	bool truncated;            /* some text was cut at its buffer */
};

/* Copies a string into a fixed field, flagging truncation on m. */
void ct_csta_set(struct ct_csta_msg *m, char *dst, size_t cap, const char *src, size_t len);
/* Same, written as lower-case hex of the bytes. */
void ct_csta_set_hex(struct ct_csta_msg *m, char *dst, size_t cap, const uint8_t *src, size_t len);

#endif
