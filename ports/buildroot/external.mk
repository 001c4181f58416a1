include $(sort $(wildcard $(BR2_EXTERNAL_TIP_PATH)/package/*/*.mk))
