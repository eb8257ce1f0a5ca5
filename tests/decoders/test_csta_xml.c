/* test_csta_xml.c - CSTA XML documents (ECMA-323) through ct_csta_xml_decode: the seven messages
 * of the public template capture csta-osv-xml-template.pcap, OpenScape Voice message templates of
 * pyssimist's CstaPool, the uaCSTA bodies Microsoft RCC clients send in SIP INFO (tieto/sipe),
 * ECMA-323 editions 2 to 6 and no namespace, vendor private data, and hostile documents (entity
 * bombs, XXE, depth and size bombs, truncation, bad encodings): each rejected, silently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "decoders/csta_names.h"
#include "decoders/csta_xml.h"

#define NS_ED2 "http://www.ecma.ch/standards/ecma-323/csta/ed2"
#define NS_ED3 "http://www.ecma-international.org/standards/ecma-323/csta/ed3"
#define NS_ED4 "http://www.ecma-international.org/standards/ecma-323/csta/ed4"
#define NS_ED5 "http://www.ecma-international.org/standards/ecma-323/csta/ed5"
#define NS_ED6 "http://www.ecma-international.org/standards/ecma-323/csta/ed6"

static int dec(const char *xml, struct ct_csta_msg *m)
{
	return ct_csta_xml_decode((const uint8_t *)xml, strlen(xml), m);
}

static enum ct_csta_xml_reject reject_why(const char *xml, size_t len)
{
	struct ct_csta_msg m;
	enum ct_csta_xml_reject why = CT_CSTA_XML_OK;
	int rc = ct_csta_xml_decode_why((const uint8_t *)xml, len, &m, &why);
	assert_int_equal(rc, CT_EINVAL);
	assert_int_equal(m.kind, CT_CSTA_UNKNOWN); /* nothing half-filled is left behind */
	assert_string_equal(m.name, "");
	return why;
}

/* ---- public template capture: csta-osv-xml-template.pcap (pyssimist a29e5a1, templates) ----
 * The XML of its seven TCP messages, the 8-byte CSTA header removed, byte for byte. */
/* msg 1, invoke 0001 */
static const char tpl_msg1[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<StartApplicationSession>\n"
	"   <applicationInfo>\n"
	"      <applicationID>pythontsm</applicationID>\n"
	"   </applicationInfo>\n"
	"   <requestedProtocolVersions>\n"
	"      <protocolVersion>http://www.ecma-international.org/standards/ecma-323/csta/ed4</protocolVersion>\n"
	"   </requestedProtocolVersions>\n"
	"   <requestedSessionDuration>600</requestedSessionDuration>\n"
	"</StartApplicationSession>";
/* msg 2, invoke 9999 */
static const char tpl_msg2[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			       "<SystemStatus\n"
			       "  xmlns=\"http://www.ecma.ch/standards/ecma-323/csta/ed2\"\n"
			       "  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
			       "  xsi:schemaLocation=\"\n"
			       "      http://www.ecma.ch/standards/ecma-323/csta/ed2  "
			       "file://localhost/X:/ips_bln/long_csta/ecma/system-status.xsd\n"
			       "  \">\n"
			       "  <systemStatus>normal</systemStatus>\n"
			       "</SystemStatus>";
/* msg 3, invoke 0004 */
static const char tpl_msg3[] = "<?xml version=\"1.0\" "
			       "encoding=\"utf-8\"?><DeflectCall><callToBeDiverted><deviceID>SUB_C</"
			       "deviceID><callID>FF000100000000006BB1234C31000000</callID></"
			       "callToBeDiverted><newDestination>SUB_D</newDestination></DeflectCall>";
/* msg 4, invoke 0005 */
static const char tpl_msg4[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			       "<SystemRegister\n"
			       "  xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed4\"\n"
			       "  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
			       "  xsi:schemaLocation=\"\n"
			       "      http://www.ecma-international.org/standards/ecma-323/csta/ed4  "
			       "file://localhost/X:/ips_bln/long_csta/ecma/system-register.xsd\n"
			       "  \">\n"
			       "  <requestTypes>\n"
			       "    <systemStatus>true</systemStatus>\n"
			       "    <requestSystemStatus>false</requestSystemStatus>\n"
			       "  </requestTypes>\n"
			       "</SystemRegister>";
/* msg 5, invoke 0006 */
static const char tpl_msg5[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SystemStatusResponse "
			       "xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed4\"/>";
/* msg 6, invoke 0007 */
static const char tpl_msg6[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?><SnapshotDeviceResponse "
	"xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/"
	"ed4\"><crossRefIDorSnapshotData><snapshotData/></crossRefIDorSnapshotData></SnapshotDeviceResponse>";
/* msg 7, invoke 0008 */
static const char tpl_msg7[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			       "<ClearConnectionResponse\n"
			       "  xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed4\"\n"
			       "  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
			       "  xsi:schemaLocation=\"\n"
			       "      http://www.ecma-international.org/standards/ecma-323/csta/ed4  "
			       "file://localhost/X:/ips_bln/long_csta/ecma/clear-connection.xsd\n"
			       "  \"/>";

struct tpl_want {
	const char *xml;
	uint8_t kind;
	const char *name;
	const char *category;
	const char *ns;
};

static void test_template_pcap(void **state)
{
	(void)state;
	static const struct tpl_want want[] = {
		{tpl_msg1, CT_CSTA_REQUEST, "start_application_session", "application_session", ""},
		{tpl_msg2, CT_CSTA_REQUEST, "system_status", "system", NS_ED2},
		{tpl_msg3, CT_CSTA_REQUEST, "deflect_call", "call_control", ""},
		{tpl_msg4, CT_CSTA_REQUEST, "system_register", "system", NS_ED4},
		{tpl_msg5, CT_CSTA_RESULT, "system_status", "system", NS_ED4},
		{tpl_msg6, CT_CSTA_RESULT, "snapshot_device", "snapshot", NS_ED4},
		{tpl_msg7, CT_CSTA_RESULT, "clear_connection", "call_control", NS_ED4},
	};
	struct ct_csta_msg m;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		assert_int_equal(dec(want[i].xml, &m), CT_OK);
		assert_int_equal(m.encoding, CT_CSTA_XML);
		assert_int_equal(m.opcode, -1);
		assert_false(m.has_invoke_id); /* the framing layer's */
		assert_int_equal(m.kind, want[i].kind);
		assert_string_equal(m.name, want[i].name);
		assert_string_equal(m.category, want[i].category);
		assert_string_equal(m.ns, want[i].ns);
		assert_false(m.unknown);
		assert_false(m.private_data);
		assert_false(m.truncated);
	}
	/* msg 2: systemStatus normal */
	assert_int_equal(dec(tpl_msg2, &m), CT_OK);
	assert_string_equal(m.system_status, "normal");
	/* msg 3: callToBeDiverted {SUB_C, FF00...}, newDestination SUB_D */
	assert_int_equal(dec(tpl_msg3, &m), CT_OK);
	assert_string_equal(m.conn.device, "SUB_C");
	assert_string_equal(m.conn.call_id, "FF000100000000006BB1234C31000000");
	assert_string_equal(m.other, "SUB_D");
	/* msg 4: requestTypes' systemStatus is a flag ("true"), not a status */
	assert_int_equal(dec(tpl_msg4, &m), CT_OK);
	assert_string_equal(m.system_status, "");
}

/* ---- pyssimist csta/CstaPool (https://github.com/skarcos/pyssimist, GPL-3.0): the OpenScape
 * Voice message templates its mock PBX and client send, byte for byte at the commits named.
 * Their {placeholders} are kept as written (the tool fills them at run time), so every field
 * asserted is the placeholder of that field: the mapping element -> field is what is tested. */

/* csta/CstaPool/DeliveredEvent.xml @ e854e8fdc353680941ca724caa0f170a8cf2fc01 */
static const char osv_delivered[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				    "<DeliveredEvent\n"
				    "  xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed4\"\n"
				    "  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
				    "  xsi:schemaLocation=\"\n"
				    "      http://www.ecma-international.org/standards/ecma-323/csta/ed4  "
				    "file://localhost/X:/ips_bln/long_csta/ecma/delivered-event.xsd\n"
				    "  \">\n"
				    "  <monitorCrossRefID>{CSTA_USE_MONITOR_CROSS_REF_ID}</monitorCrossRefID>\n"
				    "  <connection>\n"
				    "    <deviceID>{deviceID}</deviceID>\n"
				    "  </connection>\n"
				    "  <alertingDevice>\n"
				    "    <deviceIdentifier>{alertingDevice}</deviceIdentifier>\n"
				    "  </alertingDevice>\n"
				    "  <callingDevice>\n"
				    "    <deviceIdentifier>{callingDevice}</deviceIdentifier>\n"
				    "  </callingDevice>\n"
				    "  <calledDevice>\n"
				    "    <deviceIdentifier>{deviceIdentifier}</deviceIdentifier>\n"
				    "  </calledDevice>\n"
				    "  <lastRedirectionDevice>\n"
				    "    <numberDialed>{numberDialed}</numberDialed>\n"
				    "  </lastRedirectionDevice>\n"
				    "  <localConnectionInfo>{localConnectionInfo}</localConnectionInfo>\n"
				    "  <cause>{cause}</cause>\n"
				    "  <networkCallingDevice>\n"
				    "    <deviceIdentifier>{networkCallingDevice}</deviceIdentifier>\n"
				    "  </networkCallingDevice>\n"
				    "  <networkCalledDevice>\n"
				    "    <deviceIdentifier>{networkCalledDevice}</deviceIdentifier>\n"
				    "  </networkCalledDevice>\n"
				    "</DeliveredEvent>\n";

/* csta/CstaPool/EstablishedEvent.xml @ dc574bcbda3e6d837bd5176eece4d7f6203e208e (ed2) */
static const char osv_established[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				      "<EstablishedEvent\n"
				      "  xmlns=\"http://www.ecma.ch/standards/ecma-323/csta/ed2\"\n"
				      "  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
				      "  xsi:schemaLocation=\"\n"
				      "      http://www.ecma.ch/standards/ecma-323/csta/ed2  "
				      "file://localhost/X:/ips_bln/long_csta/ecma/established-event.xsd\n"
				      "  \">\n"
				      "  <monitorCrossRefID>{CSTA_USE_MONITOR_CROSS_REF_ID}</monitorCrossRefID>\n"
				      "  <establishedConnection>\n"
				      "    <deviceID>{deviceID}</deviceID>\n"
				      "  </establishedConnection>\n"
				      "  <answeringDevice>\n"
				      "    <deviceIdentifier>{answeringDevice}</deviceIdentifier>\n"
				      "  </answeringDevice>\n"
				      "  <callingDevice>\n"
				      "    <deviceIdentifier>{callingDevice}</deviceIdentifier>\n"
				      "  </callingDevice>\n"
				      "  <calledDevice>\n"
				      "    <deviceIdentifier>{calledDevice}</deviceIdentifier>\n"
				      "  </calledDevice>\n"
				      "  <lastRedirectionDevice>\n"
				      "    <numberDialed>{numberDialed}</numberDialed>\n"
				      "  </lastRedirectionDevice>\n"
				      "  <localConnectionInfo>{localConnectionInfo}</localConnectionInfo>\n"
				      "  <cause>{cause}</cause>\n"
				      "  <networkCallingDevice>\n"
				      "    <deviceIdentifier>{networkCallingDevice}</deviceIdentifier>\n"
				      "  </networkCallingDevice>\n"
				      "  <networkCalledDevice>\n"
				      "    <deviceIdentifier>{networkCalledDevice}</deviceIdentifier>\n"
				      "  </networkCalledDevice>\n"
				      "</EstablishedEvent>\n";

/* csta/CstaPool/ConnectionClearedEvent.xml @ e854e8fdc353680941ca724caa0f170a8cf2fc01 */
static const char osv_connection_cleared[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ConnectionClearedEvent\n"
	"  xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed4\"\n"
	"  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
	"  xsi:schemaLocation=\"\n"
	"      http://www.ecma-international.org/standards/ecma-323/csta/ed4  "
	"file://localhost/X:/ips_bln/long_csta/ecma/connection-cleared-event.xsd\n"
	"  \">\n"
	"  <monitorCrossRefID>{CSTA_USE_MONITOR_CROSS_REF_ID}</monitorCrossRefID>\n"
	"  <droppedConnection>\n"
	"    <deviceID>{deviceID}</deviceID>\n"
	"  </droppedConnection>\n"
	"  <releasingDevice>\n"
	"    <deviceIdentifier>{releasingDevice}</deviceIdentifier>\n"
	"  </releasingDevice>\n"
	"  <localConnectionInfo>{localConnectionInfo}</localConnectionInfo>\n"
	"  <cause>{cause}</cause>\n"
	"</ConnectionClearedEvent>\n";

/* csta/CstaPool/ServiceInitiatedEvent.xml @ e854e8fdc353680941ca724caa0f170a8cf2fc01 */
static const char osv_service_initiated[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ServiceInitiatedEvent\n"
	"  xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed4\"\n"
	"  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
	"  xsi:schemaLocation=\"\n"
	"      http://www.ecma-international.org/standards/ecma-323/csta/ed4  "
	"file://localhost/X:/ips_bln/long_csta/ecma/service-initiated-event.xsd\n"
	"  \">\n"
	"  <monitorCrossRefID>{CSTA_USE_MONITOR_CROSS_REF_ID}</monitorCrossRefID>\n"
	"  <initiatedConnection>\n"
	"    <deviceID>{deviceID}</deviceID>\n"
	"  </initiatedConnection>\n"
	"  <initiatingDevice>\n"
	"    <deviceIdentifier>{initiatingDevice}</deviceIdentifier>\n"
	"  </initiatingDevice>\n"
	"  <localConnectionInfo>{localConnectionInfo}</localConnectionInfo>\n"
	"  <cause>{cause}</cause>\n"
	"  <networkCallingDevice>\n"
	"    <deviceIdentifier>{networkCallingDevice}</deviceIdentifier>\n"
	"  </networkCallingDevice>\n"
	"  <networkCalledDevice>\n"
	"    <deviceIdentifier>{networkCalledDevice}</deviceIdentifier>\n"
	"  </networkCalledDevice>\n"
	"</ServiceInitiatedEvent>\n";

/* csta/CstaPool/OriginatedEvent.xml @ e854e8fdc353680941ca724caa0f170a8cf2fc01 */
static const char osv_originated[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				     "<OriginatedEvent\n"
				     "  xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed4\"\n"
				     "  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
				     "  xsi:schemaLocation=\"\n"
				     "      http://www.ecma-international.org/standards/ecma-323/csta/ed4  "
				     "file://localhost/X:/ips_bln/long_csta/ecma/originated-event.xsd\n"
				     "  \">\n"
				     "  <monitorCrossRefID>{CSTA_USE_MONITOR_CROSS_REF_ID}</monitorCrossRefID>\n"
				     "  <originatedConnection>\n"
				     "    <deviceID>{deviceID}</deviceID>\n"
				     "  </originatedConnection>\n"
				     "  <callingDevice>\n"
				     "    <deviceIdentifier>{callingDevice}</deviceIdentifier>\n"
				     "  </callingDevice>\n"
				     "  <calledDevice>\n"
				     "    <deviceIdentifier>{calledDevice}</deviceIdentifier>\n"
				     "  </calledDevice>\n"
				     "  <localConnectionInfo>{localConnectionInfo}</localConnectionInfo>\n"
				     "  <cause>{cause}</cause>\n"
				     "  <networkCallingDevice>\n"
				     "    <deviceIdentifier>{networkCallingDevice}</deviceIdentifier>\n"
				     "  </networkCallingDevice>\n"
				     "  <networkCalledDevice>\n"
				     "    <deviceIdentifier>{networkCalledDevice}</deviceIdentifier>\n"
				     "  </networkCalledDevice>\n"
				     "</OriginatedEvent>\n";

/* csta/CstaPool/MakeCall.xml @ e854e8fdc353680941ca724caa0f170a8cf2fc01 */
static const char osv_make_call[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<MakeCall\n"
	"  xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed4\"\n"
	"  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
	"  xsi:schemaLocation=\"\n"
	"      http://www.ecma-international.org/standards/ecma-323/csta/ed4  "
	"file://localhost/X:/ips_bln/long_csta/ecma/make-call.xsd\n"
	"  \">\n"
	"  <callingDevice typeOfNumber=\"explicitPublic:subscriber\">{callingDevice}</callingDevice>\n"
	"  <calledDirectoryNumber>{calledDirectoryNumber}</calledDirectoryNumber>\n"
	"</MakeCall>\n";

/* csta/CstaPool/MakeCallResponse.xml @ dc574bcbda3e6d837bd5176eece4d7f6203e208e (ed2) */
static const char osv_make_call_response[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
					     "<MakeCallResponse\n"
					     "  xmlns=\"http://www.ecma.ch/standards/ecma-323/csta/ed2\"\n"
					     "  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
					     "  xsi:schemaLocation=\"\n"
					     "      http://www.ecma.ch/standards/ecma-323/csta/ed2  "
					     "file://localhost/X:/ips_bln/long_csta/ecma/make-call.xsd\n"
					     "  \">\n"
					     "  <callingDevice>\n"
					     "    <deviceID>{deviceID}</deviceID>\n"
					     "  </callingDevice>\n"
					     "</MakeCallResponse>\n";

/* csta/CstaPool/MonitorStart.xml @ e854e8fdc353680941ca724caa0f170a8cf2fc01 */
static const char osv_monitor_start[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
					"<MonitorStart\n"
					"  xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed4\"\n"
					"  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
					"  xsi:schemaLocation=\"\n"
					"      http://www.ecma-international.org/standards/ecma-323/csta/ed4  "
					"file://localhost/X:/ips_bln/long_csta/ecma/monitor-start.xsd\n"
					"  \">\n"
					"  <monitorObject>\n"
					"    <deviceObject>{user}</deviceObject>\n"
					"  </monitorObject>\n"
					"</MonitorStart>\n";

/* csta/CstaPool/MonitorStartResponse.xml @ e854e8fdc353680941ca724caa0f170a8cf2fc01 */
static const char osv_monitor_start_response[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<MonitorStartResponse\n"
	"  xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed4\"\n"
	"  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
	"  xsi:schemaLocation=\"\n"
	"      http://www.ecma-international.org/standards/ecma-323/csta/ed4  "
	"file://localhost/X:/ips_bln/long_csta/ecma/monitor-start.xsd\n"
	"  \">\n"
	"  <monitorCrossRefID>{CSTA_CREATE_MONITOR_CROSS_REF_ID}</monitorCrossRefID>\n"
	"</MonitorStartResponse>\n";

static void assert_event(const struct ct_csta_msg *m, const char *name, const char *ns)
{
	assert_int_equal(m->kind, CT_CSTA_EVENT);
	assert_string_equal(m->name, name);
	assert_string_equal(m->category, "call_control");
	assert_string_equal(m->ns, ns);
	assert_string_equal(m->xref, "{CSTA_USE_MONITOR_CROSS_REF_ID}");
	assert_string_equal(m->conn.device, "{deviceID}");
	assert_string_equal(m->conn.call_id, "");
	assert_false(m->unknown);
	assert_false(m->private_data);
	assert_string_equal(m->cause, "{cause}");
	/* "{localConnectionInfo}" is longer than local_state: cut, and said so */
	assert_string_equal(m->local_state, "{localConnectio");
	assert_true(m->truncated);
}

static void test_osv_events(void **state)
{
	(void)state;
	struct ct_csta_msg m;

	assert_int_equal(dec(osv_delivered, &m), CT_OK);
	assert_event(&m, "delivered", NS_ED4);
	assert_string_equal(m.subject, "{alertingDevice}");
	assert_string_equal(m.calling, "{callingDevice}");
	assert_string_equal(m.called, "{deviceIdentifier}");
	assert_string_equal(m.other, "{numberDialed}"); /* lastRedirectionDevice */

	assert_int_equal(dec(osv_established, &m), CT_OK);
	assert_event(&m, "established", NS_ED2);
	assert_string_equal(m.subject, "{answeringDevice}");
	assert_string_equal(m.calling, "{callingDevice}");
	assert_string_equal(m.called, "{calledDevice}");
	assert_string_equal(m.other, "{numberDialed}");

	assert_int_equal(dec(osv_connection_cleared, &m), CT_OK);
	assert_event(&m, "connection_cleared", NS_ED4);
	assert_string_equal(m.subject, "{releasingDevice}");
	assert_string_equal(m.calling, "");

	assert_int_equal(dec(osv_service_initiated, &m), CT_OK);
	assert_event(&m, "service_initiated", NS_ED4);
	assert_string_equal(m.subject, "{initiatingDevice}");

	assert_int_equal(dec(osv_originated, &m), CT_OK);
	assert_event(&m, "originated", NS_ED4);
	assert_string_equal(m.calling, "{callingDevice}");
	assert_string_equal(m.called, "{calledDevice}");
	assert_string_equal(m.subject, "");
}

static void test_osv_services(void **state)
{
	(void)state;
	struct ct_csta_msg m;

	assert_int_equal(dec(osv_make_call, &m), CT_OK);
	assert_int_equal(m.kind, CT_CSTA_REQUEST);
	assert_string_equal(m.name, "make_call");
	assert_string_equal(m.category, "call_control");
	assert_string_equal(m.calling, "{callingDevice}");
	assert_string_equal(m.called, "{calledDirectoryNumber}");
	assert_false(m.truncated);

	assert_int_equal(dec(osv_make_call_response, &m), CT_OK);
	assert_int_equal(m.kind, CT_CSTA_RESULT);
	assert_string_equal(m.name, "make_call");
	assert_string_equal(m.ns, NS_ED2);
	assert_string_equal(m.conn.device, "{deviceID}"); /* the new call's connection */
	assert_string_equal(m.calling, "{deviceID}");

	assert_int_equal(dec(osv_monitor_start, &m), CT_OK);
	assert_int_equal(m.kind, CT_CSTA_REQUEST);
	assert_string_equal(m.name, "monitor_start");
	assert_string_equal(m.category, "monitoring");
	assert_string_equal(m.monitor_device, "{user}");

	assert_int_equal(dec(osv_monitor_start_response, &m), CT_OK);
	assert_int_equal(m.kind, CT_CSTA_RESULT);
	assert_string_equal(m.name, "monitor_start");
	assert_string_equal(m.xref, "{CSTA_CREATE_MONITOR_CROSS_REF_ID}");
	assert_false(m.unknown);
}

/* ---- uaCSTA: the bodies Microsoft RCC clients send in the SIP INVITE and INFO of the CSTA
 * dialog (Content-Type application/csta+xml), as tieto/sipe src/core/sip-csta.c writes them
 * (commit 022d63fd220989c0cb00fc044dcb878c11a5b1f5, GPL-2.0+), with its %s filled by the
 * examples of its own comments (line tel:73124;phone-context=dialstring;partition=BE_BRS_INT,
 * monitor 99fda87c, call 0_99f261b4, destination tel:+3222220220). */
#define RCC_LINE "tel:73124;phone-context=dialstring;partition=BE_BRS_INT"

static const char rcc_request_system_status[] =
	"<?xml version=\"1.0\"?>"
	"<RequestSystemStatus xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed3\">"
	"<extensions>"
	"<privateData>"
	"<private>"
	"<lcs:line xmlns:lcs=\"http://schemas.microsoft.com/Lcs/2005/04/RCCExtension\">" RCC_LINE "</lcs:line>"
	"</private>"
	"</privateData>"
	"</extensions>"
	"</RequestSystemStatus>";

static const char rcc_get_csta_features[] =
	"<?xml version=\"1.0\"?>"
	"<GetCSTAFeatures xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed3\">"
	"\t<extensions>"
	"\t\t<privateData>"
	"\t\t\t<private>"
	"\t\t\t\t<lcs:line xmlns:lcs=\"http://schemas.microsoft.com/Lcs/2005/04/RCCExtension\">" RCC_LINE "</lcs:line>"
	"\t\t\t</private>"
	"\t\t</privateData>"
	"\t</extensions>"
	"</GetCSTAFeatures>";

static const char rcc_monitor_start[] =
	"<?xml version=\"1.0\"?>"
	"<MonitorStart xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed3\">"
	"<monitorObject>"
	"<deviceObject>" RCC_LINE "</deviceObject>"
	"</monitorObject>"
	"</MonitorStart>";

static const char rcc_monitor_stop[] =
	"<?xml version=\"1.0\"?>"
	"<MonitorStop xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed3\">"
	"\t<monitorCrossRefID>99fda87c</monitorCrossRefID>"
	"</MonitorStop>";

static const char rcc_make_call[] = "<?xml version=\"1.0\"?>"
				    "<MakeCall xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed3\">"
				    "<callingDevice>" RCC_LINE "</callingDevice>"
				    "<calledDirectoryNumber>tel:+3222220220</calledDirectoryNumber>"
				    "<autoOriginate>doNotPrompt</autoOriginate>"
				    "</MakeCall>";

static const char rcc_clear_connection[] =
	"<?xml version=\"1.0\"?>"
	"<ClearConnection xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed3\">"
	"\t<connectionToBeCleared>"
	"\t\t<callID>0_99f261b4</callID>"
	"\t\t<deviceID>tel:73124;phone-context=dialstring</deviceID>"
	"\t</connectionToBeCleared>"
	"</ClearConnection>";

static void test_uacsta_rcc(void **state)
{
	(void)state;
	struct ct_csta_msg m;

	assert_int_equal(dec(rcc_request_system_status, &m), CT_OK);
	assert_int_equal(m.kind, CT_CSTA_REQUEST);
	assert_string_equal(m.name, "request_system_status");
	assert_string_equal(m.category, "system");
	assert_string_equal(m.ns, NS_ED3);
	assert_true(m.private_data); /* the RCC line URI, kept opaque */
	assert_string_equal(m.subject, "");
	assert_false(m.unknown);

	assert_int_equal(dec(rcc_get_csta_features, &m), CT_OK);
	assert_string_equal(m.name, "get_csta_features");
	assert_string_equal(m.category, "capability_exchange");
	assert_true(m.private_data);

	assert_int_equal(dec(rcc_monitor_start, &m), CT_OK);
	assert_string_equal(m.name, "monitor_start");
	assert_string_equal(m.monitor_device, RCC_LINE);
	assert_false(m.private_data);

	assert_int_equal(dec(rcc_monitor_stop, &m), CT_OK);
	assert_int_equal(m.kind, CT_CSTA_REQUEST);
	assert_string_equal(m.name, "monitor_stop");
	assert_string_equal(m.xref, "99fda87c");

	assert_int_equal(dec(rcc_make_call, &m), CT_OK);
	assert_string_equal(m.name, "make_call");
	assert_string_equal(m.calling, RCC_LINE);
	assert_string_equal(m.called, "tel:+3222220220");

	assert_int_equal(dec(rcc_clear_connection, &m), CT_OK);
	assert_string_equal(m.name, "clear_connection");
	assert_string_equal(m.conn.call_id, "0_99f261b4");
	assert_string_equal(m.conn.device, "tel:73124;phone-context=dialstring");

	/* the events sipe reads from the gateway's INFO: the elements it looks at
	 * (monitorCrossRefID, originatedConnection/connection/... {callID, deviceID}) */
	assert_int_equal(dec("<OriginatedEvent xmlns=\"" NS_ED3 "\"><monitorCrossRefID>99fda87c"
			     "</monitorCrossRefID><originatedConnection><callID>0_99f261b4</callID>"
			     "<deviceID>tel:73124;phone-context=dialstring</deviceID>"
			     "</originatedConnection></OriginatedEvent>",
			     &m),
			 CT_OK);
	assert_int_equal(m.kind, CT_CSTA_EVENT);
	assert_string_equal(m.name, "originated");
	assert_string_equal(m.xref, "99fda87c");
	assert_string_equal(m.conn.call_id, "0_99f261b4");
}

/* ---- documents written for these tests from the ECMA-323 element names (not captures) ---- */

static void test_editions_and_namespaces(void **state)
{
	(void)state;
	static const char *const ns[] = {NS_ED2, NS_ED3, NS_ED4, NS_ED5, NS_ED6, ""};
	char buf[512];
	struct ct_csta_msg m;
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		int n = snprintf(buf, sizeof buf,
				 "<HeldEvent%s%s%s><monitorCrossRefID>7</monitorCrossRefID>"
				 "<heldConnection><callID>C1</callID><deviceID>100</deviceID>"
				 "</heldConnection><holdingDevice><deviceIdentifier>100"
				 "</deviceIdentifier></holdingDevice><localConnectionInfo>hold"
				 "</localConnectionInfo><cause>callHold</cause></HeldEvent>",
				 ns[i][0] ? " xmlns=\"" : "", ns[i], ns[i][0] ? "\"" : "");
		assert_true(n > 0 && (size_t)n < sizeof buf);
		assert_int_equal(dec(buf, &m), CT_OK);
		assert_int_equal(m.kind, CT_CSTA_EVENT);
		assert_string_equal(m.name, "held");
		assert_string_equal(m.ns, ns[i]);
		assert_string_equal(m.xref, "7");
		assert_string_equal(m.conn.call_id, "C1");
		assert_string_equal(m.subject, "100");
		assert_string_equal(m.local_state, "hold");
		assert_string_equal(m.cause, "call_hold");
		assert_false(m.private_data);
	}
	/* a prefixed CSTA namespace reads the same */
	assert_int_equal(dec("<csta:RetrievedEvent xmlns:csta=\"" NS_ED5 "\"><csta:retrievedConnection>"
			     "<csta:callID>C2</csta:callID><csta:deviceID>200</csta:deviceID>"
			     "</csta:retrievedConnection><csta:retrievingDevice><csta:deviceIdentifier>"
			     "200</csta:deviceIdentifier></csta:retrievingDevice></csta:RetrievedEvent>",
			     &m),
			 CT_OK);
	assert_string_equal(m.name, "retrieved");
	assert_string_equal(m.ns, NS_ED5);
	assert_string_equal(m.conn.device, "200");
	assert_string_equal(m.subject, "200");
	assert_false(m.private_data);
	/* SOAP (ECMA-323 over SOAP): the CSTA message is the Body's first element */
	assert_int_equal(dec("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
			     "<s:Header/><s:Body><MonitorStop xmlns=\"" NS_ED6 "\"><monitorCrossRefID>"
			     "42</monitorCrossRefID></MonitorStop></s:Body></s:Envelope>",
			     &m),
			 CT_OK);
	assert_string_equal(m.name, "monitor_stop");
	assert_string_equal(m.ns, NS_ED6);
	assert_string_equal(m.xref, "42");
}

static void test_transferred_both_spellings(void **state)
{
	(void)state;
	static const char *const root[] = {"TransferedEvent", "TransferredEvent"};
	char buf[1024];
	struct ct_csta_msg m;
	for (size_t i = 0; i < 2; i++) {
		int n = snprintf(buf, sizeof buf,
				 "<%s xmlns=\"" NS_ED3 "\"><monitorCrossRefID>9</monitorCrossRefID>"
				 "<primaryOldCall><callID>A</callID><deviceID>101</deviceID></primaryOldCall>"
				 "<secondaryOldCall><callID>B</callID><deviceID>101</deviceID></secondaryOldCall>"
				 "<transferringDevice><deviceIdentifier>101</deviceIdentifier></transferringDevice>"
				 "<transferredToDevice><deviceIdentifier>103</deviceIdentifier></transferredToDevice>"
				 "<transferredConnections><connectionListItem><newConnection><callID>C</callID>"
				 "<deviceID>103</deviceID></newConnection><oldConnection><callID>B</callID>"
				 "<deviceID>103</deviceID></oldConnection></connectionListItem>"
				 "</transferredConnections><localConnectionInfo>null</localConnectionInfo>"
				 "<cause>transfer</cause></%s>",
				 root[i], root[i]);
		assert_true(n > 0 && (size_t)n < sizeof buf);
		assert_int_equal(dec(buf, &m), CT_OK);
		assert_int_equal(m.kind, CT_CSTA_EVENT);
		assert_string_equal(m.name, "transferred");
		assert_string_equal(m.category, "call_control");
		assert_false(m.unknown);
		assert_string_equal(m.conn.call_id, "A");
		assert_string_equal(m.conn2.call_id, "B"); /* secondaryOldCall before newConnection */
		assert_string_equal(m.subject, "101");
		assert_string_equal(m.other, "103");
		assert_string_equal(m.local_state, "null");
		assert_string_equal(m.cause, "transfer");
	}
}

static void test_call_data_fields(void **state)
{
	(void)state;
	struct ct_csta_msg m;
	assert_int_equal(dec("<DeliveredEvent xmlns=\"" NS_ED4 "\"><monitorCrossRefID>1</monitorCrossRefID>"
			     "<connection><callID>77</callID><deviceID>2001</deviceID></connection>"
			     "<alertingDevice><deviceIdentifier>2001</deviceIdentifier></alertingDevice>"
			     "<callingDevice><deviceIdentifier>+4989700700</deviceIdentifier></callingDevice>"
			     "<calledDevice><deviceIdentifier>2001</deviceIdentifier></calledDevice>"
			     "<lastRedirectionDevice><notRequired/></lastRedirectionDevice>"
			     "<localConnectionInfo>alerting</localConnectionInfo>"
			     "<correlatorData>ABCD0102</correlatorData>"
			     "<userData><string>order 42</string></userData>"
			     "<cause>newCall</cause>"
			     "<callLinkageData><globalCallData><globalCallLinkageID><globallyUnique>"
			     "00FA080012345678</globallyUnique></globalCallLinkageID></globalCallData>"
			     "</callLinkageData></DeliveredEvent>",
			     &m),
			 CT_OK);
	assert_string_equal(m.conn.call_id, "77");
	assert_string_equal(m.calling, "+4989700700");
	assert_string_equal(m.other, ""); /* notRequired: nothing to say */
	assert_string_equal(m.local_state, "alerting");
	assert_string_equal(m.correlator, "ABCD0102");
	assert_string_equal(m.user_data, "order 42");
	assert_string_equal(m.cause, "new_call");
	assert_string_equal(m.global_call_id, "00FA080012345678");
	assert_false(m.truncated);

	/* userData as octets, CDATA text, blanks around values */
	assert_int_equal(dec("<EstablishedEvent><userData><octets>C0FFEE</octets></userData>"
			     "<establishedConnection><callID> 5 </callID><deviceID><![CDATA[2002]]>"
			     "</deviceID></establishedConnection></EstablishedEvent>",
			     &m),
			 CT_OK);
	assert_string_equal(m.user_data, "C0FFEE");
	assert_string_equal(m.conn.call_id, "5");
	assert_string_equal(m.conn.device, "2002");
	assert_string_equal(m.ns, "");

	/* DivertedEvent: newDestination is the other party */
	assert_int_equal(dec("<DivertedEvent><connection><callID>8</callID></connection>"
			     "<divertingDevice><deviceIdentifier>300</deviceIdentifier></divertingDevice>"
			     "<newDestination><deviceIdentifier>301</deviceIdentifier></newDestination>"
			     "<cause>callForwardNoAnswer</cause></DivertedEvent>",
			     &m),
			 CT_OK);
	assert_string_equal(m.subject, "300");
	assert_string_equal(m.other, "301");
	assert_string_equal(m.cause, "call_forward_no_answer");

	/* ConferencedEvent: addedParty */
	assert_int_equal(dec("<ConferencedEvent><primaryOldCall><callID>1</callID></primaryOldCall>"
			     "<conferencingDevice><deviceIdentifier>400</deviceIdentifier>"
			     "</conferencingDevice><addedParty><deviceIdentifier>402</deviceIdentifier>"
			     "</addedParty></ConferencedEvent>",
			     &m),
			 CT_OK);
	assert_string_equal(m.name, "conferenced");
	assert_string_equal(m.subject, "400");
	assert_string_equal(m.other, "402");

	/* TransferCall: heldCall then activeCall */
	assert_int_equal(dec("<TransferCall xmlns=\"" NS_ED3 "\"><heldCall><callID>H</callID>"
			     "<deviceID>500</deviceID></heldCall><activeCall><callID>A</callID>"
			     "<deviceID>500</deviceID></activeCall></TransferCall>",
			     &m),
			 CT_OK);
	assert_int_equal(m.kind, CT_CSTA_REQUEST);
	assert_string_equal(m.name, "transfer_call");
	assert_string_equal(m.conn.call_id, "H");
	assert_string_equal(m.conn2.call_id, "A");
}

static void test_agent(void **state)
{
	(void)state;
	struct ct_csta_msg m;
	assert_int_equal(dec("<AgentReadyEvent xmlns=\"" NS_ED3 "\"><monitorCrossRefID>3</monitorCrossRefID>"
			     "<agentDevice><deviceIdentifier>4711</deviceIdentifier></agentDevice>"
			     "<agentID>agent7</agentID></AgentReadyEvent>",
			     &m),
			 CT_OK);
	assert_int_equal(m.kind, CT_CSTA_EVENT);
	assert_string_equal(m.name, "agent_ready");
	assert_string_equal(m.category, "logical_device");
	assert_string_equal(m.subject, "4711");
	assert_string_equal(m.agent_id, "agent7");
	assert_string_equal(m.agent_state, "ready");

	assert_int_equal(dec("<AgentNotReadyEvent><agentDevice><deviceIdentifier>4711</deviceIdentifier>"
			     "</agentDevice><agentID>agent7</agentID><reason>12</reason>"
			     "</AgentNotReadyEvent>",
			     &m),
			 CT_OK);
	assert_string_equal(m.name, "agent_not_ready");
	assert_string_equal(m.agent_state, "not_ready");
	assert_string_equal(m.reason, "12");

	assert_int_equal(dec("<SetAgentState xmlns=\"" NS_ED4 "\"><device>4711</device>"
			     "<requestedAgentState>notReady</requestedAgentState><agentID>agent7</agentID>"
			     "</SetAgentState>",
			     &m),
			 CT_OK);
	assert_int_equal(m.kind, CT_CSTA_REQUEST);
	assert_string_equal(m.name, "set_agent_state");
	assert_string_equal(m.category, "logical_device");
	assert_string_equal(m.subject, "4711");
	assert_string_equal(m.agent_state, "not_ready");
	assert_string_equal(m.agent_id, "agent7");

	assert_int_equal(dec("<AgentLoggedOnEvent><agentDevice><deviceIdentifier>1</deviceIdentifier>"
			     "</agentDevice></AgentLoggedOnEvent>",
			     &m),
			 CT_OK);
	assert_string_equal(m.agent_state, "logged_on");
}

static void test_error_and_unknown(void **state)
{
	(void)state;
	struct ct_csta_msg m;
	assert_int_equal(dec("<CSTAErrorCode xmlns=\"" NS_ED3 "\"><operation>invalidDeviceID</operation>"
			     "</CSTAErrorCode>",
			     &m),
			 CT_OK);
	assert_int_equal(m.kind, CT_CSTA_ERROR);
	assert_string_equal(m.error, "invalid_device_id");
	assert_string_equal(m.name, ""); /* the invoke id names the failed service */
	assert_false(m.unknown);

	assert_int_equal(dec("<CSTAErrorCode><unspecified/></CSTAErrorCode>", &m), CT_OK);
	assert_string_equal(m.error, "unspecified");

	/* an event this decoder does not know: kind by suffix, name in snake_case, unknown */
	assert_int_equal(dec("<FrobnicatedCallEvent xmlns=\"" NS_ED6 "\"><monitorCrossRefID>5"
			     "</monitorCrossRefID></FrobnicatedCallEvent>",
			     &m),
			 CT_OK);
	assert_int_equal(m.kind, CT_CSTA_EVENT);
	assert_string_equal(m.name, "frobnicated_call");
	assert_true(m.unknown);
	assert_string_equal(m.xref, "5"); /* still read: the link tables want it */

	assert_int_equal(dec("<FrobnicateResponse/>", &m), CT_OK);
	assert_int_equal(m.kind, CT_CSTA_RESULT);
	assert_string_equal(m.name, "frobnicate");
	assert_true(m.unknown);

	assert_int_equal(dec("<html><body>hi</body></html>", &m), CT_OK);
	assert_int_equal(m.kind, CT_CSTA_UNKNOWN);
	assert_string_equal(m.name, "html");
	assert_true(m.unknown);

	/* ECMA-354 session results */
	assert_int_equal(dec("<StartApplicationSessionPosResponse xmlns=\"http://www.ecma-international.org/"
			     "standards/ecma-354/appl_session\"><sessionID>S1</sessionID>"
			     "</StartApplicationSessionPosResponse>",
			     &m),
			 CT_OK);
	assert_int_equal(m.kind, CT_CSTA_RESULT);
	assert_string_equal(m.name, "start_application_session");
}

/* Vendor extensions: element names borrowed from products' documentation style, values made up. */
static void test_vendor_private_data(void **state)
{
	(void)state;
	struct ct_csta_msg m;
	/* Avaya: ed3 event, private data in avaya.com and in an ed3/privN namespace; the vendor
	 * subtree comes first and holds CSTA-looking names that must not be read */
	assert_int_equal(dec("<DeliveredEvent xmlns=\"" NS_ED3 "\">"
			     "<extensions><privateData><private><ns1:DeliveredEventPrivateData "
			     "xmlns:ns1=\"http://www.avaya.com/csta\"><ns1:connection><ns1:callID>999</ns1:callID>"
			     "</ns1:connection><ns1:ucid>00001002161192633615</ns1:ucid>"
			     "</ns1:DeliveredEventPrivateData></private></privateData></extensions>"
			     "<p2:userEnteredCode xmlns:p2=\"" NS_ED3
			     "/priv2\"><p2:cause>x</p2:cause></p2:userEnteredCode>"
			     "<connection><callID>12</callID><deviceID>6001</deviceID></connection>"
			     "<cause>newCall</cause></DeliveredEvent>",
			     &m),
			 CT_OK);
	assert_true(m.private_data);
	assert_string_equal(m.name, "delivered");
	assert_string_equal(m.ns, NS_ED3);
	assert_string_equal(m.conn.call_id, "12");
	assert_string_equal(m.cause, "new_call");
	assert_false(m.unknown);

	/* an Avaya private element directly under the root, no privateData wrapper */
	assert_int_equal(dec("<HeldEvent xmlns=\"" NS_ED3 "\"><heldConnection><callID>3</callID>"
			     "</heldConnection><av:x xmlns:av=\"" NS_ED3 "/priv5\">1</av:x></HeldEvent>",
			     &m),
			 CT_OK);
	assert_true(m.private_data);
	assert_string_equal(m.conn.call_id, "3");

	/* OpenScape (Siemens) extension */
	assert_int_equal(dec("<EstablishedEvent xmlns=\"" NS_ED4 "\" xmlns:osv=\"http://www.siemens.com/schema/csta\">"
			     "<establishedConnection><callID>44</callID><deviceID>7001</deviceID>"
			     "</establishedConnection><extensions><privateData><private>"
			     "<osv:optiPointInfo>x</osv:optiPointInfo></private></privateData></extensions>"
			     "</EstablishedEvent>",
			     &m),
			 CT_OK);
	assert_true(m.private_data);
	assert_string_equal(m.conn.call_id, "44");

	/* a root element in a vendor namespace: opaque, private, kind by suffix */
	assert_int_equal(dec("<SnapshotDeviceEventPriv xmlns=\"http://www.avaya.com/csta\"/>", &m), CT_OK);
	assert_true(m.private_data);
	assert_true(m.unknown);
	assert_string_equal(m.category, "private");

	/* extensions without private data (CSTA security / timestamp) is not private data */
	assert_int_equal(dec("<MonitorStop xmlns=\"" NS_ED6 "\"><monitorCrossRefID>1</monitorCrossRefID>"
			     "<extensions><security><timestamp>2024</timestamp></security></extensions>"
			     "</MonitorStop>",
			     &m),
			 CT_OK);
	assert_false(m.private_data);
}

static void test_truncated_fields(void **state)
{
	(void)state;
	char buf[1024];
	char longid[300];
	memset(longid, '7', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	snprintf(buf, sizeof buf,
		 "<ConnectionClearedEvent><droppedConnection><callID>%s</callID>"
		 "</droppedConnection></ConnectionClearedEvent>",
		 longid);
	struct ct_csta_msg m;
	assert_int_equal(dec(buf, &m), CT_OK);
	assert_true(m.truncated);
	assert_int_equal(strlen(m.conn.call_id), CT_CSTA_ID - 1);
}

/* ---- hostile documents ------------------------------------------------------------------ */

static const char billion_laughs[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE lolz [\n"
	" <!ENTITY lol \"lol\">\n"
	" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	" <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	" <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	" <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	" <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	" <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	" <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	" <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	" <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	"]>\n"
	"<DeliveredEvent><cause>&lol9;</cause></DeliveredEvent>";

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_hostile(void **state)
{
	(void)state;
	/* libxml2 must stay silent: stderr goes to a file that has to stay empty */
	fflush(stderr);
	int saved = dup(2);
	FILE *sink = tmpfile();
	assert_non_null(sink);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(sink), 2) >= 0);

	assert_int_equal(reject_why(billion_laughs, strlen(billion_laughs)), CT_CSTA_XML_DOCTYPE);
	static const char xxe[] = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM "
				  "\"file:///etc/passwd\">]><MakeCall><callingDevice>&e;</callingDevice>"
				  "</MakeCall>";
	assert_int_equal(reject_why(xxe, strlen(xxe)), CT_CSTA_XML_DOCTYPE);
	static const char ext_dtd[] = "<!DOCTYPE MakeCall SYSTEM \"http://127.0.0.1:9/x.dtd\"><MakeCall/>";
	assert_int_equal(reject_why(ext_dtd, strlen(ext_dtd)), CT_CSTA_XML_DOCTYPE);
	static const char pe[] = "<!DOCTYPE x [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><x/>";
	assert_int_equal(reject_why(pe, strlen(pe)), CT_CSTA_XML_DOCTYPE);
	/* an undeclared entity is not well-formed either */
	static const char undecl[] = "<MakeCall><callingDevice>&e;</callingDevice></MakeCall>";
	assert_int_equal(reject_why(undecl, strlen(undecl)), CT_CSTA_XML_NOT_XML);

	/* depth bombs: 10 000 open elements (30 KB), and a closed one of 5000 levels */
	size_t n = 10000;
	char *deep = malloc(n * 3 + 1);
	assert_non_null(deep);
	for (size_t i = 0; i < n; i++)
		memcpy(deep + 3 * i, "<a>", 3);
	double t0 = now_s();
	assert_int_equal(reject_why(deep, n * 3), CT_CSTA_XML_TOO_DEEP);
	free(deep);
	n = 5000;
	deep = malloc(n * 7 + 1);
	assert_non_null(deep);
	for (size_t i = 0; i < n; i++) {
		memcpy(deep + 3 * i, "<a>", 3);
		memcpy(deep + 3 * n + 4 * i, "</a>", 4);
	}
	assert_int_equal(reject_why(deep, n * 7), CT_CSTA_XML_TOO_DEEP);
	free(deep);
	assert_true(now_s() - t0 < 0.5);
	/* exactly at the cap is fine, one more is not */
	char lvl[CT_CSTA_XML_MAX_DEPTH * 7 + 8];
	for (int extra = 0; extra < 2; extra++) {
		size_t d = CT_CSTA_XML_MAX_DEPTH + (size_t)extra, o = 0;
		for (size_t i = 0; i < d; i++, o += 3)
			memcpy(lvl + o, "<a>", 3);
		for (size_t i = 0; i < d; i++, o += 4)
			memcpy(lvl + o, "</a>", 4);
		struct ct_csta_msg m;
		enum ct_csta_xml_reject why;
		int rc = ct_csta_xml_decode_why((const uint8_t *)lvl, o, &m, &why);
		assert_int_equal(rc, extra ? CT_EINVAL : CT_OK);
		assert_int_equal(why, extra ? CT_CSTA_XML_TOO_DEEP : CT_CSTA_XML_OK);
	}

	/* too many elements: 5000 siblings */
	n = 5000;
	char *wide = malloc(n * 4 + 32);
	assert_non_null(wide);
	size_t o = 0;
	memcpy(wide, "<MakeCall>", 10);
	o = 10;
	for (size_t i = 0; i < n; i++, o += 4)
		memcpy(wide + o, "<x/>", 4);
	memcpy(wide + o, "</MakeCall>", 11);
	o += 11;
	assert_int_equal(reject_why(wide, o), CT_CSTA_XML_TOO_MANY);
	free(wide);

	/* 1 MB document, and one byte over the cap */
	size_t big = 1024 * 1024;
	char *mb = malloc(big);
	assert_non_null(mb);
	memset(mb, ' ', big);
	memcpy(mb, "<MakeCall>", 10);
	memcpy(mb + big - 11, "</MakeCall>", 11);
	assert_int_equal(reject_why(mb, big), CT_CSTA_XML_TOO_BIG);
	memcpy(mb + CT_CSTA_XML_MAX_BYTES + 1 - 11, "</MakeCall>", 11);
	assert_int_equal(reject_why(mb, CT_CSTA_XML_MAX_BYTES + 1), CT_CSTA_XML_TOO_BIG);
	memcpy(mb + CT_CSTA_XML_MAX_BYTES - 11, "</MakeCall>", 11);
	struct ct_csta_msg m;
	assert_int_equal(ct_csta_xml_decode((const uint8_t *)mb, CT_CSTA_XML_MAX_BYTES, &m), CT_OK);
	free(mb);

	/* every truncation of a real document */
	size_t len = strlen(tpl_msg3);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(ct_csta_xml_decode((const uint8_t *)tpl_msg3, cut, &m), CT_EINVAL);
	len = strlen(osv_delivered) - 1; /* without its final newline */
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(ct_csta_xml_decode((const uint8_t *)osv_delivered, cut, &m), CT_EINVAL);

	/* encodings: bytes that are not UTF-8 where UTF-8 is declared or implied */
	static const char bad_utf8[] = "<MakeCall><callingDevice>\xff\xfe\xc3\x28</callingDevice></MakeCall>";
	assert_int_equal(reject_why(bad_utf8, strlen(bad_utf8)), CT_CSTA_XML_NOT_XML);
	static const char latin1_as_utf8[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><MakeCall>"
					     "<callingDevice>caf\xe9</callingDevice></MakeCall>";
	assert_int_equal(reject_why(latin1_as_utf8, strlen(latin1_as_utf8)), CT_CSTA_XML_NOT_XML);
	static const char ctl[] = "<MakeCall><callingDevice>a&#1;b</callingDevice></MakeCall>";
	assert_int_equal(reject_why(ctl, strlen(ctl)), CT_CSTA_XML_NOT_XML);
	/* bytes the declared encoding cannot convert: libxml2 reports those without a parser
	 * context, to stderr unless told otherwise */
	static const char bad_eucjp[] = "<?xml version=\"1.0\" encoding=\"EUC-JP\"?><a>\xff\xff</a>";
	assert_int_equal(reject_why(bad_eucjp, strlen(bad_eucjp)), CT_CSTA_XML_NOT_XML);

	/* not XML at all */
	assert_int_equal(reject_why("", 0), CT_CSTA_XML_NOT_XML);
	assert_int_equal(reject_why("hello", 5), CT_CSTA_XML_NOT_XML);
	static const char bin[] = {0x00, 0x00, 0x01, 0x9f, '0', '0', '0', '1', '<', 'a', '/', '>'};
	assert_int_equal(reject_why(bin, sizeof bin), CT_CSTA_XML_NOT_XML); /* header left on */
	assert_int_equal(reject_why("<a></b>", 7), CT_CSTA_XML_NOT_XML);
	assert_int_equal(reject_why("<a/><b/>", 8), CT_CSTA_XML_NOT_XML);
	assert_int_equal(reject_why("<?xml version=\"1.0\"?>", 21), CT_CSTA_XML_NOT_XML);
	assert_int_equal(ct_csta_xml_decode(NULL, 0, &m), CT_EINVAL);

	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	fseek(sink, 0, SEEK_END);
	long printed = ftell(sink);
	fclose(sink);
	assert_int_equal(printed, 0);
}

/* What the walk reads of an element, as libxml2's tree gave it before the decoder read SAX
 * events instead: its own text in every piece (around comments and child elements, CDATA,
 * predefined entities and character references), a prefix nobody declared kept in the name. */
static void test_text_and_names(void **state)
{
	(void)state;
	struct ct_csta_msg m;
	assert_int_equal(dec("<MakeCall><callingDevice> 12<!-- a comment -->34<x>99</x>5&#54; </callingDevice>"
			     "<calledDevice><![CDATA[a<b]]>&amp;c</calledDevice></MakeCall>",
			     &m),
			 CT_OK);
	assert_string_equal(m.calling, "123456");
	assert_string_equal(m.called, "a<b&c");
	/* p is not declared: the element is "p:callingDevice", not a callingDevice */
	assert_int_equal(dec("<MakeCall><p:callingDevice>4711</p:callingDevice><calledDevice>42</calledDevice>"
			     "</MakeCall>",
			     &m),
			 CT_OK);
	assert_string_equal(m.calling, "");
	assert_string_equal(m.called, "42");
	/* a declared one is read by its local name, in the root's namespace */
	assert_int_equal(dec("<c:MakeCall xmlns:c=\"" NS_ED4 "\"><c:callingDevice>4711</c:callingDevice></c:MakeCall>", &m),
			 CT_OK);
	assert_string_equal(m.calling, "4711");
	assert_false(m.private_data);
	/* text past 256 bytes, its end after a child element: cut, and said so */
	char big[700];
	int n = snprintf(big, sizeof big, "<MakeCall><callingDevice>%0200d<x/>%0200d</callingDevice></MakeCall>", 1, 2);
	assert_true(n > 0 && (size_t)n < sizeof big);
	assert_int_equal(ct_csta_xml_decode((const uint8_t *)big, (size_t)n, &m), CT_OK);
	assert_true(m.truncated);
	assert_int_equal(strlen(m.calling), sizeof m.calling - 1);
	/* a value two levels down (deviceIdentifier in staticID), blanks around it */
	assert_int_equal(dec("<MonitorStart><monitorObject><deviceObject>\n  <staticID>\n <deviceIdentifier> 300 "
			     "</deviceIdentifier></staticID></deviceObject></monitorObject></MonitorStart>",
			     &m),
			 CT_OK);
	assert_string_equal(m.monitor_device, "300");
}

/* One decode on a decoder that parsed other documents before, and the same on a fresh one:
 * the same return, reason and message, byte for byte. */
static void same_as_fresh(struct ct_csta_xml *x, const char *xml, size_t len)
{
	struct ct_csta_msg a, b;
	enum ct_csta_xml_reject wa = CT_CSTA_XML_OK, wb = CT_CSTA_XML_OK;
	memset(&a, 0x5a, sizeof a); /* padding too: both are fully overwritten */
	memset(&b, 0x5a, sizeof b);
	int ra = ct_csta_xml_parse(x, (const uint8_t *)xml, len, &a, &wa);
	int rb = ct_csta_xml_decode_why((const uint8_t *)xml, len, &b, &wb);
	assert_int_equal(ra, rb);
	assert_int_equal(wa, wb);
	assert_memory_equal(&a, &b, sizeof a);
}

/* A decoder keeps its libxml2 context from one document to the next: nothing of a document,
 * good or bad, may reach the next one. */
static void test_reused_decoder(void **state)
{
	(void)state;
	const char *docs[] = {tpl_msg1,	       tpl_msg2,	  tpl_msg3,	      tpl_msg4,
			      tpl_msg5,	       tpl_msg6,	  tpl_msg7,	      osv_delivered,
			      osv_established, osv_connection_cleared, osv_service_initiated, osv_originated,
			      osv_make_call,   osv_make_call_response, osv_monitor_start, osv_monitor_start_response,
			      rcc_request_system_status, rcc_get_csta_features, rcc_monitor_start, rcc_monitor_stop,
			      rcc_make_call,   rcc_clear_connection, billion_laughs};
	struct ct_csta_xml *x = ct_csta_xml_new();
	assert_non_null(x);
	/* each document after every truncation of the one before it (a malformed message, then
	 * a good one), and after a parse stopped by each guard */
	char *deep = malloc((CT_CSTA_XML_MAX_DEPTH + 1) * 128);
	assert_non_null(deep);
	for (size_t i = 0; i < CT_ARRAY_SIZE(docs); i++) {
		const char *prev = docs[(i + CT_ARRAY_SIZE(docs) - 1) % CT_ARRAY_SIZE(docs)];
		for (size_t cut = 0; cut < strlen(prev); cut += 7) {
			same_as_fresh(x, prev, cut);
			same_as_fresh(x, docs[i], strlen(docs[i]));
		}
	}
	/* a parse stopped deep inside elements that bind prefixes and a default namespace:
	 * the next document uses the prefixes without declaring them (the reset of libxml2
	 * 2.9.14 as released keeps the namespace stack; Debian 12's library has the fix, so
	 * here this checks the decoder's own reset only where the library lacks it) */
	size_t o = 0;
	for (int d = 0; d < CT_CSTA_XML_MAX_DEPTH + 1; d++)
		o += (size_t)snprintf(deep + o, 128, "<p:a xmlns:p=\"urn:v%d\" xmlns=\"" NS_ED4 "\">", d % 10);
	assert_true(o < (CT_CSTA_XML_MAX_DEPTH + 1) * 128u);
	static const char undeclared[] = "<p:MonitorStart><p:monitorObject><p:deviceObject>4711</p:deviceObject>"
					 "</p:monitorObject></p:MonitorStart>";
	static const char bare[] = "<MonitorStart><monitorObject><deviceObject>4711</deviceObject>"
				   "</monitorObject></MonitorStart>";
	for (int k = 0; k < 3; k++) {
		same_as_fresh(x, deep, o);
		same_as_fresh(x, undeclared, strlen(undeclared));
		same_as_fresh(x, deep, o);
		same_as_fresh(x, bare, strlen(bare));
		struct ct_csta_msg m;
		assert_int_equal(ct_csta_xml_parse(x, (const uint8_t *)bare, strlen(bare), &m, NULL), CT_OK);
		assert_string_equal(m.ns, ""); /* no default namespace lent by the stopped parse */
		assert_false(m.private_data);
		assert_string_equal(m.monitor_device, "4711");
	}
	free(deep);
	/* entities stay unexpanded and DOCTYPEs rejected on a decoder that parsed good documents */
	static const char xxe[] = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM "
				  "\"file:///etc/passwd\">]><MakeCall><callingDevice>&e;</callingDevice>"
				  "</MakeCall>";
	static const char undecl[] = "<MakeCall><callingDevice>&e;</callingDevice></MakeCall>";
	for (int k = 0; k < 2; k++) {
		struct ct_csta_msg m;
		enum ct_csta_xml_reject why;
		assert_int_equal(ct_csta_xml_parse(x, (const uint8_t *)xxe, strlen(xxe), &m, &why), CT_EINVAL);
		assert_int_equal(why, CT_CSTA_XML_DOCTYPE);
		assert_int_equal(ct_csta_xml_parse(x, (const uint8_t *)undecl, strlen(undecl), &m, &why), CT_EINVAL);
		assert_int_equal(why, CT_CSTA_XML_NOT_XML);
		assert_int_equal(ct_csta_xml_parse(x, (const uint8_t *)billion_laughs, strlen(billion_laughs), &m, &why),
				 CT_EINVAL);
		assert_int_equal(why, CT_CSTA_XML_DOCTYPE);
		same_as_fresh(x, osv_delivered, strlen(osv_delivered));
	}
	/* made-up element names fill the dictionary: past its cap the context is replaced, and
	 * documents decode the same before and after */
	assert_int_equal(ct_csta_xml_renewals(x), 0);
	char doc[256];
	for (unsigned i = 0; i < 2 * CT_CSTA_XML_DICT_NAMES; i++) {
		int n = snprintf(doc, sizeof doc,
				 "<MonitorStart xmlns=\"" NS_ED5 "\"><n%ua/><n%ub/><monitorObject><deviceObject>%u"
				 "</deviceObject></monitorObject></MonitorStart>",
				 i, i, i);
		same_as_fresh(x, doc, (size_t)n);
	}
	assert_true(ct_csta_xml_renewals(x) >= 1);
	assert_true(ct_csta_xml_renewals(x) <= 4);
	same_as_fresh(x, tpl_msg2, strlen(tpl_msg2));
	ct_csta_xml_free(x);
	ct_csta_xml_free(NULL);
}

static void test_encodings_accepted(void **state)
{
	(void)state;
	struct ct_csta_msg m;
	/* a declared ISO-8859-1 document is well-formed: its text comes out as UTF-8 */
	assert_int_equal(dec("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><MakeCall>"
			     "<callingDevice>caf\xe9</callingDevice></MakeCall>",
			     &m),
			 CT_OK);
	assert_string_equal(m.calling, "caf\xc3\xa9");
	/* a UTF-8 byte-order mark */
	assert_int_equal(dec("\xef\xbb\xbf<MonitorStop><monitorCrossRefID>1</monitorCrossRefID></MonitorStop>", &m),
			 CT_OK);
	assert_string_equal(m.xref, "1");
	/* names stay what ct_csta_xml_reject_name says */
	assert_string_equal(ct_csta_xml_reject_name(CT_CSTA_XML_DOCTYPE), "doctype");
	assert_string_equal(ct_csta_xml_reject_name(CT_CSTA_XML_TOO_DEEP), "too_deep");
}

/* The element table is searched by bisection: an entry added out of order would be missed. */
static void test_fields_sorted(void **state)
{
	(void)state;
	assert_true(ct_csta_xml_fields_sorted());
}

/* The ECMA-269 names table: sorted for its binary search, and the names the correlator acts on
 * found in both encodings' spellings (XML route_select_request, BER route_select). */
static void test_names(void **state)
{
	(void)state;
	assert_true(ct_csta_names_sorted());
	assert_int_equal(ct_csta_name_of("delivered"), CT_CSTA_N_DELIVERED);
	assert_int_equal(ct_csta_name_of("agent_working_after_call"), CT_CSTA_N_AGENT_WORKING_AFTER_CALL);
	assert_int_equal(ct_csta_name_of("route_select_request"), CT_CSTA_N_ROUTE_SELECT);
	assert_int_equal(ct_csta_name_of("route_select"), CT_CSTA_N_ROUTE_SELECT);
	assert_int_equal(ct_csta_name_of("make_call"), CT_CSTA_N_MAKE_CALL);
	assert_int_equal(ct_csta_name_of("consultation_call"), CT_CSTA_N_CONSULTATION_CALL);
	assert_int_equal(ct_csta_name_of("answer_call"), CT_CSTA_N_OTHER); /* a service it does not act on */
	assert_int_equal(ct_csta_name_of("no_such_event"), CT_CSTA_N_OTHER);
	const struct ct_csta_name_info *i = ct_csta_name_find("button_press", true);
	assert_non_null(i);
	assert_string_equal(i->category, "physical_device");
	assert_null(ct_csta_name_find("make_call", true));
	assert_non_null(ct_csta_name_find("make_call", false));
	/* a decoded message carries its id */
	struct ct_csta_msg m;
	static const char xml[] = "<?xml version=\"1.0\"?><HeldEvent xmlns=\"http://www.ecma-international.org/standards/"
				  "ecma-323/csta/ed4\"><monitorCrossRefID>1</monitorCrossRefID></HeldEvent>";
	assert_int_equal(ct_csta_xml_decode((const uint8_t *)xml, sizeof(xml) - 1, &m), CT_OK);
	assert_int_equal(m.nid, CT_CSTA_N_HELD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_pcap),
		cmocka_unit_test(test_osv_events),
		cmocka_unit_test(test_osv_services),
		cmocka_unit_test(test_uacsta_rcc),
		cmocka_unit_test(test_editions_and_namespaces),
		cmocka_unit_test(test_transferred_both_spellings),
		cmocka_unit_test(test_call_data_fields),
		cmocka_unit_test(test_agent),
		cmocka_unit_test(test_error_and_unknown),
		cmocka_unit_test(test_vendor_private_data),
		cmocka_unit_test(test_truncated_fields),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_reused_decoder),
		cmocka_unit_test(test_text_and_names),
		cmocka_unit_test(test_encodings_accepted),
		cmocka_unit_test(test_fields_sorted),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
