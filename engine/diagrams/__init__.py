"""What a process is: BPMN diagrams read, checked and versioned; forms, expressions and time standards as the diagram
states them; the SOP table and document."""
