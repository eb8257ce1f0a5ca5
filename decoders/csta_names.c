/* csta_names.c - the ECMA-269 names table (csta_names.h). Events are the ECMA-323 event
 * elements without "Event", services their request elements; both sorted by name (strcmp
 * order) for bsearch. The BER spellings of the routeing services (ECMA-285 operation names:
 * route_select, ...) stand beside the XML ones and share their id. */
#include <stdlib.h>
#include <string.h>

#include "../util/ct.h"
#include "csta_names.h"

static const struct ct_csta_name_info events[] = {
	{ "agent_busy", "logical_device", CT_CSTA_N_AGENT_BUSY },
	{ "agent_logged_off", "logical_device", CT_CSTA_N_AGENT_LOGGED_OFF },
	{ "agent_logged_on", "logical_device", CT_CSTA_N_AGENT_LOGGED_ON },
	{ "agent_not_ready", "logical_device", CT_CSTA_N_AGENT_NOT_READY },
	{ "agent_ready", "logical_device", CT_CSTA_N_AGENT_READY },
	{ "agent_working_after_call", "logical_device", CT_CSTA_N_AGENT_WORKING_AFTER_CALL },
	{ "auto_answer", "logical_device", CT_CSTA_N_OTHER },
	{ "auto_work_mode", "logical_device", CT_CSTA_N_OTHER },
	{ "back_in_service", "device_maintenance", CT_CSTA_N_OTHER },
	{ "bridged", "call_control", CT_CSTA_N_OTHER },
	{ "button_information", "physical_device", CT_CSTA_N_OTHER },
	{ "button_press", "physical_device", CT_CSTA_N_OTHER },
	{ "call_back", "logical_device", CT_CSTA_N_OTHER },
	{ "call_back_message", "logical_device", CT_CSTA_N_OTHER },
	{ "call_cleared", "call_control", CT_CSTA_N_CALL_CLEARED },
	{ "call_information", "call_associated", CT_CSTA_N_OTHER },
	{ "caller_id_status", "logical_device", CT_CSTA_N_OTHER },
	{ "charging", "call_associated", CT_CSTA_N_OTHER },
	{ "conferenced", "call_control", CT_CSTA_N_CONFERENCED },
	{ "connection_cleared", "call_control", CT_CSTA_N_CONNECTION_CLEARED },
	{ "delivered", "call_control", CT_CSTA_N_DELIVERED },
	{ "device_capability_changed", "device_maintenance", CT_CSTA_N_OTHER },
	{ "digits_dialed", "call_control", CT_CSTA_N_OTHER },
	{ "digits_generated", "call_associated", CT_CSTA_N_OTHER },
	{ "display_updated", "physical_device", CT_CSTA_N_OTHER },
	{ "diverted", "call_control", CT_CSTA_N_DIVERTED },
	{ "do_not_disturb", "logical_device", CT_CSTA_N_OTHER },
	{ "established", "call_control", CT_CSTA_N_ESTABLISHED },
	{ "failed", "call_control", CT_CSTA_N_FAILED },
	{ "forwarding", "logical_device", CT_CSTA_N_OTHER },
	{ "held", "call_control", CT_CSTA_N_HELD },
	{ "hookswitch", "physical_device", CT_CSTA_N_OTHER },
	{ "lamp_mode", "physical_device", CT_CSTA_N_OTHER },
	{ "media_attached", "media_attachment", CT_CSTA_N_OTHER },
	{ "media_detached", "media_attachment", CT_CSTA_N_OTHER },
	{ "message_waiting", "physical_device", CT_CSTA_N_OTHER },
	{ "microphone_gain", "physical_device", CT_CSTA_N_OTHER },
	{ "microphone_mute", "physical_device", CT_CSTA_N_OTHER },
	{ "monitor_ended", "monitoring", CT_CSTA_N_MONITOR_ENDED },
	{ "network_capabilities_changed", "call_control", CT_CSTA_N_OTHER },
	{ "network_reached", "call_control", CT_CSTA_N_NETWORK_REACHED },
	{ "offered", "call_control", CT_CSTA_N_OFFERED },
	{ "originated", "call_control", CT_CSTA_N_ORIGINATED },
	{ "out_of_service", "device_maintenance", CT_CSTA_N_OTHER },
	{ "partially_in_service", "device_maintenance", CT_CSTA_N_OTHER },
	{ "play", "voice_unit", CT_CSTA_N_OTHER },
	{ "presence_state", "logical_device", CT_CSTA_N_OTHER },
	{ "private", "private", CT_CSTA_N_OTHER },
	{ "queued", "call_control", CT_CSTA_N_QUEUED },
	{ "record", "voice_unit", CT_CSTA_N_OTHER },
	{ "retrieved", "call_control", CT_CSTA_N_RETRIEVED },
	{ "review", "voice_unit", CT_CSTA_N_OTHER },
	{ "ringer_status", "physical_device", CT_CSTA_N_OTHER },
	{ "routeing_mode", "logical_device", CT_CSTA_N_OTHER },
	{ "service_completion_failure", "call_associated", CT_CSTA_N_OTHER },
	{ "service_initiated", "call_control", CT_CSTA_N_SERVICE_INITIATED },
	{ "speaker_mute", "physical_device", CT_CSTA_N_OTHER },
	{ "speaker_volume", "physical_device", CT_CSTA_N_OTHER },
	{ "stop", "voice_unit", CT_CSTA_N_OTHER },
	{ "suspend_play", "voice_unit", CT_CSTA_N_OTHER },
	{ "suspend_record", "voice_unit", CT_CSTA_N_OTHER },
	{ "telephony_tones_generated", "call_associated", CT_CSTA_N_OTHER },
	{ "transferred", "call_control", CT_CSTA_N_TRANSFERRED },
	{ "voice_attributes_changed", "voice_unit", CT_CSTA_N_OTHER },
};

static const struct ct_csta_name_info services[] = {
	{ "accept_call", "call_control", CT_CSTA_N_OTHER },
	{ "alternate_call", "call_control", CT_CSTA_N_OTHER },
	{ "answer_call", "call_control", CT_CSTA_N_OTHER },
	{ "associate_data", "call_associated", CT_CSTA_N_OTHER },
	{ "button_press", "physical_device", CT_CSTA_N_OTHER },
	{ "call_back_call_related", "call_control", CT_CSTA_N_OTHER },
	{ "call_back_message_call_related", "call_control", CT_CSTA_N_OTHER },
	{ "call_back_non_call_related", "logical_device", CT_CSTA_N_OTHER },
	{ "camp_on_call", "call_control", CT_CSTA_N_OTHER },
	{ "cancel_call_back", "logical_device", CT_CSTA_N_OTHER },
	{ "cancel_telephony_tones", "call_associated", CT_CSTA_N_OTHER },
	{ "change_monitor_filter", "monitoring", CT_CSTA_N_OTHER },
	{ "clear_call", "call_control", CT_CSTA_N_OTHER },
	{ "clear_connection", "call_control", CT_CSTA_N_OTHER },
	{ "conference_call", "call_control", CT_CSTA_N_OTHER },
	{ "consultation_call", "call_control", CT_CSTA_N_CONSULTATION_CALL },
	{ "deflect_call", "call_control", CT_CSTA_N_OTHER },
	{ "dial_digits", "call_control", CT_CSTA_N_OTHER },
	{ "directed_pickup_call", "call_control", CT_CSTA_N_OTHER },
	{ "escape", "private", CT_CSTA_N_OTHER },
	{ "escape_service", "private", CT_CSTA_N_OTHER },
	{ "generate_digits", "call_associated", CT_CSTA_N_OTHER },
	{ "generate_telephony_tones", "call_associated", CT_CSTA_N_OTHER },
	{ "get_agent_state", "logical_device", CT_CSTA_N_OTHER },
	{ "get_auto_answer", "logical_device", CT_CSTA_N_OTHER },
	{ "get_csta_features", "capability_exchange", CT_CSTA_N_OTHER },
	{ "get_display", "physical_device", CT_CSTA_N_OTHER },
	{ "get_do_not_disturb", "logical_device", CT_CSTA_N_OTHER },
	{ "get_forwarding", "logical_device", CT_CSTA_N_OTHER },
	{ "get_hookswitch", "physical_device", CT_CSTA_N_OTHER },
	{ "get_logical_device_information", "logical_device", CT_CSTA_N_OTHER },
	{ "get_message_waiting_indicator", "physical_device", CT_CSTA_N_OTHER },
	{ "get_switching_function_capabilities", "capability_exchange", CT_CSTA_N_OTHER },
	{ "get_switching_function_devices", "system", CT_CSTA_N_OTHER },
	{ "group_pickup_call", "call_control", CT_CSTA_N_OTHER },
	{ "hold_call", "call_control", CT_CSTA_N_OTHER },
	{ "intrude_call", "call_control", CT_CSTA_N_OTHER },
	{ "join_call", "call_control", CT_CSTA_N_OTHER },
	{ "make_call", "call_control", CT_CSTA_N_MAKE_CALL },
	{ "make_predictive_call", "call_control", CT_CSTA_N_OTHER },
	{ "monitor_start", "monitoring", CT_CSTA_N_MONITOR_START },
	{ "monitor_stop", "monitoring", CT_CSTA_N_MONITOR_STOP },
	{ "park_call", "call_control", CT_CSTA_N_OTHER },
	{ "re_route", "routeing", CT_CSTA_N_RE_ROUTE },
	{ "re_route_request", "routeing", CT_CSTA_N_RE_ROUTE },
	{ "reconnect_call", "call_control", CT_CSTA_N_OTHER },
	{ "request_system_status", "system", CT_CSTA_N_OTHER },
	{ "reset_application_session_timer", "application_session", CT_CSTA_N_OTHER },
	{ "retrieve_call", "call_control", CT_CSTA_N_OTHER },
	{ "route_end", "routeing", CT_CSTA_N_ROUTE_END },
	{ "route_end_request", "routeing", CT_CSTA_N_ROUTE_END },
	{ "route_register", "routeing", CT_CSTA_N_OTHER },
	{ "route_register_abort", "routeing", CT_CSTA_N_OTHER },
	{ "route_register_cancel", "routeing", CT_CSTA_N_OTHER },
	{ "route_request", "routeing", CT_CSTA_N_ROUTE_REQUEST },
	{ "route_select", "routeing", CT_CSTA_N_ROUTE_SELECT },
	{ "route_select_request", "routeing", CT_CSTA_N_ROUTE_SELECT },
	{ "route_used", "routeing", CT_CSTA_N_ROUTE_USED },
	{ "route_used_request", "routeing", CT_CSTA_N_ROUTE_USED },
	{ "send_user_information", "call_associated", CT_CSTA_N_OTHER },
	{ "set_agent_state", "logical_device", CT_CSTA_N_OTHER },
	{ "set_auto_answer", "logical_device", CT_CSTA_N_OTHER },
	{ "set_do_not_disturb", "logical_device", CT_CSTA_N_OTHER },
	{ "set_forwarding", "logical_device", CT_CSTA_N_OTHER },
	{ "set_message_waiting_indicator", "physical_device", CT_CSTA_N_OTHER },
	{ "set_microphone_mute", "physical_device", CT_CSTA_N_OTHER },
	{ "set_ringer_status", "physical_device", CT_CSTA_N_OTHER },
	{ "set_speaker_volume", "physical_device", CT_CSTA_N_OTHER },
	{ "single_step_conference_call", "call_control", CT_CSTA_N_OTHER },
	{ "single_step_transfer_call", "call_control", CT_CSTA_N_SINGLE_STEP_TRANSFER_CALL },
	{ "snapshot_call", "snapshot", CT_CSTA_N_OTHER },
	{ "snapshot_device", "snapshot", CT_CSTA_N_OTHER },
	{ "start_application_session", "application_session", CT_CSTA_N_OTHER },
	{ "stop_application_session", "application_session", CT_CSTA_N_OTHER },
	{ "switching_function_devices", "system", CT_CSTA_N_OTHER },
	{ "system_register", "system", CT_CSTA_N_OTHER },
	{ "system_register_abort", "system", CT_CSTA_N_OTHER },
	{ "system_register_cancel", "system", CT_CSTA_N_OTHER },
	{ "system_status", "system", CT_CSTA_N_SYSTEM_STATUS },
	{ "transfer_call", "call_control", CT_CSTA_N_TRANSFER_CALL },
};

static int cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct ct_csta_name_info *)elem)->name);
}

const struct ct_csta_name_info *ct_csta_name_find(const char *name, bool event)
{
	if (event)
		return bsearch(name, events, CT_ARRAY_SIZE(events), sizeof(events[0]), cmp);
	return bsearch(name, services, CT_ARRAY_SIZE(services), sizeof(services[0]), cmp);
}

enum ct_csta_name ct_csta_name_of(const char *name)
{
	const struct ct_csta_name_info *i = ct_csta_name_find(name, true);
	if (!i)
		i = ct_csta_name_find(name, false);
	return i ? i->id : CT_CSTA_N_OTHER;
}

static bool sorted(const struct ct_csta_name_info *t, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(t[i - 1].name, t[i].name) >= 0)
			return false;
	return true;
}

bool ct_csta_names_sorted(void)
{
	return sorted(events, CT_ARRAY_SIZE(events)) && sorted(services, CT_ARRAY_SIZE(services));
}
